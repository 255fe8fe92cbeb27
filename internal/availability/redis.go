package availability

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"regexp"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/redis/go-redis/v9"
)

// RedisConfig configures the Redis index.
type RedisConfig struct {
	Options
	// Prefix names the index: every key is "{Prefix}:...", so several
	// indexes (or tests) share one Redis database, and the braces keep all
	// keys in one Redis Cluster slot, as the scripts need. Letters, digits
	// and ".:_-" only. Default "openhouse:availability".
	Prefix string
	// FirstRingKM is the radius of the first ring Search looks in before
	// doubling it. Default 2 km.
	FirstRingKM float64
}

var prefixPattern = regexp.MustCompile(`^[A-Za-z0-9.:_-]{1,100}$`)

// Redis is the Index kept in Redis, shared by every process that uses the
// same Redis and prefix: the counterpart of the original design's
// ElastiCache. Reserve, Release and PutRealtor are Lua scripts, so each is
// atomic between processes; redis_scripts.go describes the keys. Search is
// a read-only script over geo sets (GEOSEARCH) that filters by each
// realtor's own radius, working hours and bookings inside Redis, in one
// round trip.
//
// Several processes feeding one Redis from the streams is safe: every
// write is idempotent and profiles go by UpdatedAt, so a process replaying
// history after another applied it live ends in the same state.
type Redis struct {
	c       redis.UniversalClient
	opts    Options
	prefix  string // "{name}:"
	first   float64
	zones   zones
	mu      sync.Mutex
	tzs     []string // zones Search computes a wall-clock window for
	tzKnown map[string]bool
}

// NewRedis returns the index stored in c under cfg.Prefix. It takes c over:
// Close closes it.
func NewRedis(c redis.UniversalClient, cfg RedisConfig) (*Redis, error) {
	opts, err := cfg.Options.withDefaults()
	if err != nil {
		return nil, err
	}
	if cfg.Prefix == "" {
		cfg.Prefix = "openhouse:availability"
	}
	if !prefixPattern.MatchString(cfg.Prefix) {
		return nil, fmt.Errorf("availability: redis prefix %q may hold only letters, digits and .:_- (1 to 100)", cfg.Prefix)
	}
	if cfg.FirstRingKM == 0 {
		cfg.FirstRingKM = 2
	}
	if !(cfg.FirstRingKM > 0) {
		return nil, fmt.Errorf("availability: first ring must be positive, got %v", cfg.FirstRingKM)
	}
	return &Redis{c: c, opts: opts, prefix: "{" + cfg.Prefix + "}:", first: cfg.FirstRingKM, tzKnown: map[string]bool{}}, nil
}

// CheckServer reports a Redis too old for the scripts (EVALSHA_RO needs
// 7.0), at start rather than at the first search.
func (x *Redis) CheckServer(ctx context.Context) error {
	info, err := x.c.Info(ctx, "server").Result()
	if err != nil {
		return fmt.Errorf("redis info: %w", err)
	}
	for line := range strings.Lines(info) {
		v, ok := strings.CutPrefix(strings.TrimSpace(line), "redis_version:")
		if !ok {
			continue
		}
		major, _, _ := strings.Cut(v, ".")
		if n, err := strconv.Atoi(major); err != nil || n < 7 {
			return fmt.Errorf("redis %s is too old: the availability index needs 7.0 or later", v)
		}
		return nil
	}
	return errors.New("redis did not say its version")
}

// Close closes the Redis client.
func (x *Redis) Close() error { return x.c.Close() }

// redisScale turns Redis's geo distances (on its sphere of 6372.797560856
// km) into this package's (on EarthRadiusKM): both are haversine, so the
// ratio of the radii is exact.
const redisScale = earthRadiusKM / 6372.797560856

// PutRealtor implements Index.
func (x *Redis) PutRealtor(ctx context.Context, r Realtor) error {
	p, err := prepare(r, &x.zones)
	if err != nil {
		return err
	}
	r = p.r
	wh, err := json.Marshal(r.WorkingHours)
	if err != nil {
		return fmt.Errorf("put realtor %s: %w", r.ID, err)
	}
	var sec, nsec int64
	if !r.UpdatedAt.IsZero() {
		sec, nsec = r.UpdatedAt.Unix(), int64(r.UpdatedAt.Nanosecond())
	} else {
		sec = -1 << 53 // older than any real time, exactly representable in Lua
	}
	lat, lng := "", ""
	if r.Location != nil {
		lat, lng = ftoa(r.Location.Lat), ftoa(r.Location.Lng)
	}
	eligible, sets := "0", ""
	if p.eligible() {
		eligible, sets = "1", strings.Join(geoSets(r.TimeZone, r.ServiceRadiusKM, &p.sched), " ")
	}
	prof := ""
	if r.Location != nil {
		prof = ftoa(r.ServiceRadiusKM) + " " + lat + " " + lng + " " + r.TimeZone
	}
	args := []any{x.prefix, r.ID, sec, nsec, eligible, lng, lat, ftoa(r.ServiceRadiusKM), r.TimeZone, sets, prof}
	for wd := 1; wd <= 7; wd++ {
		ws := make([]string, len(p.sched[wd]))
		for i, w := range p.sched[wd] {
			ws[i] = strconv.Itoa(w.From) + "-" + strconv.Itoa(w.To)
		}
		args = append(args, strings.Join(ws, ","))
	}
	args = append(args, "lat", lat, "lng", lng, "radius", ftoa(r.ServiceRadiusKM), "tz", r.TimeZone,
		"status", string(r.Status), "verified", btoa(r.Verified), "active", btoa(r.Active), "wh", string(wh),
		"to", spansText(r.TimeOff), "cap", strconv.Itoa(r.MaxToursPerDay))
	if err := putRealtorScript.Run(ctx, x.c, nil, args...).Err(); err != nil {
		return fmt.Errorf("put realtor %s: %w", r.ID, err)
	}
	return nil
}

// radiusBuckets are the upper bounds of the service-radius buckets, in km:
// Search looks for a bucket's realtors only as far as its bound.
var radiusBuckets = []int{10, 25, 50, 100, maxServiceRadiusKM}

var radiusBucketList = func() string {
	s := make([]string, len(radiusBuckets))
	for i, b := range radiusBuckets {
		s[i] = strconv.Itoa(b)
	}
	return strings.Join(s, ",")
}()

func bucketOf(radiusKM float64) string {
	for _, b := range radiusBuckets {
		if radiusKM <= float64(b) {
			return strconv.Itoa(b)
		}
	}
	return strconv.Itoa(radiusBuckets[len(radiusBuckets)-1])
}

// geoSets names the geo sets of an eligible realtor: its radius bucket's,
// and one per local hour of each weekday in which they work at some moment.
func geoSets(tz string, radiusKM float64, s *schedule) []string {
	b := bucketOf(radiusKM)
	out := []string{"geo:" + b}
	for wd := 1; wd <= 7; wd++ {
		for _, w := range s[wd] {
			for h := w.From / 3600; h <= (w.To-1)/3600; h++ {
				out = append(out, "g:"+tz+":"+strconv.Itoa(wd)+":"+strconv.Itoa(h)+":"+b)
			}
		}
	}
	slices.Sort(out)
	return slices.Compact(out)
}

// Realtor implements Index.
func (x *Redis) Realtor(ctx context.Context, id string) (Realtor, error) {
	if id == "" || len(id) > maxIDLength {
		return Realtor{}, errNotFound
	}
	h, err := x.c.HGetAll(ctx, x.prefix+"r:"+id).Result()
	if err != nil {
		return Realtor{}, fmt.Errorf("read realtor %s: %w", id, err)
	}
	if len(h) == 0 {
		return Realtor{}, errNotFound
	}
	r := Realtor{ID: id, TimeZone: h["tz"], Status: Status(h["status"]), Verified: h["verified"] == "1", Active: h["active"] == "1"}
	r.ServiceRadiusKM, _ = strconv.ParseFloat(h["radius"], 64)
	if h["lat"] != "" {
		lat, err1 := strconv.ParseFloat(h["lat"], 64)
		lng, err2 := strconv.ParseFloat(h["lng"], 64)
		if err := errors.Join(err1, err2); err != nil {
			return Realtor{}, fmt.Errorf("read realtor %s: location: %w", id, err)
		}
		r.Location = &Point{Lat: lat, Lng: lng}
	}
	if err := json.Unmarshal([]byte(h["wh"]), &r.WorkingHours); err != nil {
		return Realtor{}, fmt.Errorf("read realtor %s: working hours: %w", id, err)
	}
	if r.TimeOff, err = spansOf(h["to"]); err != nil {
		return Realtor{}, fmt.Errorf("read realtor %s: time off: %w", id, err)
	}
	if h["cap"] != "" {
		if r.MaxToursPerDay, err = strconv.Atoi(h["cap"]); err != nil {
			return Realtor{}, fmt.Errorf("read realtor %s: cap: %w", id, err)
		}
	}
	sec, err1 := strconv.ParseInt(h["as"], 10, 64)
	nsec, err2 := strconv.ParseInt(h["an"], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return Realtor{}, fmt.Errorf("read realtor %s: updated at: %w", id, err)
	}
	if sec != -1<<53 {
		r.UpdatedAt = time.Unix(sec, nsec).UTC()
	}
	return r, nil
}

// Search implements Index.
func (x *Redis) Search(ctx context.Context, q Query) ([]Candidate, error) {
	q, err := normalQuery(q)
	if err != nil {
		return nil, err
	}
	also := make([]string, 0, 2*len(q.Also))
	for _, p := range q.Also {
		also = append(also, ftoa(p.Lat), ftoa(p.Lng))
	}
	for range 4 {
		args := []any{x.prefix, ftoa(q.Point.Lng), ftoa(q.Point.Lat), ftoa(q.MaxDistanceKM), max(q.Limit, 0), "", "", x.opts.Buffer.Milliseconds(),
			ftoa(redisScale), ftoa(x.first), radiusBucketList, ftoa(earthRadiusKM), strings.Join(also, " ")}
		if !q.Start.IsZero() {
			args[5], args[6] = q.Start.UnixMilli(), q.End.UnixMilli()
			args = x.appendSpans(args, q.Start, q.End)
		}
		res, err := searchScript.RunRO(ctx, x.c, nil, args...).StringSlice()
		if err != nil {
			return nil, fmt.Errorf("search: %w", err)
		}
		if len(res) > 0 && res[0] == "?" {
			x.learnZones(res[1:])
			continue
		}
		return candidatesOf(res)
	}
	return nil, errors.New("search: the index keeps naming time zones it does not hold")
}

// appendSpans adds, for every zone an eligible realtor may be in, the
// window on that zone's wall clock.
func (x *Redis) appendSpans(args []any, start, end time.Time) []any {
	x.mu.Lock()
	tzs := x.tzs
	x.mu.Unlock()
	for _, tz := range tzs {
		sp := span{} // weekday 0: no realtor of an unknown zone works
		var dayFrom, dayTo int64
		if loc, err := x.zones.load(tz); err == nil {
			sp = localSpan(loc, start, end)
			dayFrom, dayTo = localDay(loc, start.UnixMilli())
		}
		args = append(args, tz, sp.Weekday, sp.From, sp.To, dayFrom, dayTo)
	}
	return args
}

func (x *Redis) learnZones(tzs []string) {
	x.mu.Lock()
	defer x.mu.Unlock()
	for _, tz := range tzs {
		if !x.tzKnown[tz] {
			x.tzKnown[tz] = true
			x.tzs = append(slices.Clone(x.tzs), tz)
		}
	}
}

// candidatesOf reads the search script's answer: id, Redis distance and
// prof ("radius lat lng tz") per candidate.
func candidatesOf(res []string) ([]Candidate, error) {
	if len(res)%3 != 0 {
		return nil, fmt.Errorf("search: %d fields in the answer, want a multiple of 3", len(res))
	}
	out := make([]Candidate, 0, len(res)/3)
	for i := 0; i < len(res); i += 3 {
		c := Candidate{RealtorID: res[i], Status: StatusAvailable}
		prof := strings.Fields(res[i+2])
		if len(prof) != 4 {
			return nil, fmt.Errorf("search: realtor %s: malformed profile %q", c.RealtorID, res[i+2])
		}
		var errs [4]error
		var d float64
		d, errs[0] = strconv.ParseFloat(res[i+1], 64)
		c.DistanceKM = d * redisScale
		c.ServiceRadiusKM, errs[1] = strconv.ParseFloat(prof[0], 64)
		c.Location.Lat, errs[2] = strconv.ParseFloat(prof[1], 64)
		c.Location.Lng, errs[3] = strconv.ParseFloat(prof[2], 64)
		c.TimeZone = prof[3]
		if err := errors.Join(errs[:]...); err != nil {
			return nil, fmt.Errorf("search: realtor %s: %w", c.RealtorID, err)
		}
		out = append(out, c)
	}
	slices.SortStableFunc(out, byDistance)
	return out, nil
}

// PutBusy implements Index.
func (x *Redis) PutBusy(ctx context.Context, realtorID string, blocks []Span, at time.Time) error {
	spans, err := checkBusy(realtorID, blocks)
	if err != nil {
		return err
	}
	at = at.UTC()
	if err := putBusyScript.Run(ctx, x.c, nil, x.prefix, realtorID, at.Unix(), at.Nanosecond(), spansText(spans)).Err(); err != nil {
		return fmt.Errorf("put busy blocks of %s: %w", realtorID, err)
	}
	return nil
}

// Reserve implements Index.
func (x *Redis) Reserve(ctx context.Context, realtorID, tourID string, start, end time.Time) error {
	start, end, err := checkHold(realtorID, tourID, start, end)
	if err != nil {
		return err
	}
	res, err := reserveScript.Run(ctx, x.c, nil, x.prefix, realtorID, tourID, start.UnixMilli(), end.UnixMilli(), x.opts.Buffer.Milliseconds()).StringSlice()
	switch {
	case err != nil:
		return fmt.Errorf("reserve realtor %s for tour %s: %w", realtorID, tourID, err)
	case len(res) == 2 && res[0] == "taken":
		return fmt.Errorf("reserve realtor %s for tour %s: %w (tour %s)", realtorID, tourID, errTaken, res[1])
	case len(res) == 1 && res[0] == "ok":
		return nil
	}
	return fmt.Errorf("reserve realtor %s for tour %s: unexpected answer %q", realtorID, tourID, res)
}

// Release implements Index.
func (x *Redis) Release(ctx context.Context, realtorID, tourID string, start, end time.Time) error {
	start, end, err := checkRelease(realtorID, tourID, start, end)
	if err != nil {
		return err
	}
	var s, e any = "", ""
	if !start.IsZero() {
		s, e = start.UnixMilli(), end.UnixMilli()
	}
	if err := releaseScript.Run(ctx, x.c, nil, x.prefix, realtorID, tourID, s, e).Err(); err != nil {
		return fmt.Errorf("release realtor %s from tour %s: %w", realtorID, tourID, err)
	}
	return nil
}

// Bookings implements Index.
func (x *Redis) Bookings(ctx context.Context, realtorID string) ([]Booking, error) {
	members, err := x.c.ZRange(ctx, x.prefix+"bk:"+realtorID, 0, -1).Result()
	if err != nil {
		return nil, fmt.Errorf("bookings of %s: %w", realtorID, err)
	}
	out := make([]Booking, 0, len(members))
	for _, m := range members {
		b, err := bookingOf(m)
		if err != nil {
			return nil, fmt.Errorf("bookings of %s: %w", realtorID, err)
		}
		out = append(out, b)
	}
	sortBookings(out)
	return out, nil
}

// bookingOf reads a member of a bk set: "startMs:endMs:tour".
func bookingOf(m string) (Booking, error) {
	parts := strings.SplitN(m, ":", 3)
	if len(parts) != 3 {
		return Booking{}, fmt.Errorf("malformed booking %q", m)
	}
	s, err1 := strconv.ParseInt(parts[0], 10, 64)
	e, err2 := strconv.ParseInt(parts[1], 10, 64)
	if err := errors.Join(err1, err2); err != nil {
		return Booking{}, fmt.Errorf("malformed booking %q: %w", m, err)
	}
	return Booking{TourID: parts[2], Start: time.UnixMilli(s).UTC(), End: time.UnixMilli(e).UTC()}, nil
}

// Prune implements Index. It walks the realtors with holds (HSCAN of
// bks), one script per realtor, so it never blocks Redis for long.
func (x *Redis) Prune(ctx context.Context, before time.Time) (int, error) {
	n := 0
	it := x.c.HScan(ctx, x.prefix+"bks", 0, "*", 500).Iterator()
	for key := true; it.Next(ctx); key = !key {
		if !key {
			continue // the value that follows each field
		}
		rid := it.Val()
		k, err := pruneScript.Run(ctx, x.c, nil, x.prefix, rid, before.UnixMilli()).Int()
		if err != nil {
			return n, fmt.Errorf("prune bookings of %s: %w", rid, err)
		}
		n += k
	}
	if err := it.Err(); err != nil {
		return n, fmt.Errorf("prune: %w", err)
	}
	return n, nil
}

// Reset implements Index: it deletes every key under the prefix.
func (x *Redis) Reset(ctx context.Context) error {
	it := x.c.Scan(ctx, 0, x.prefix+"*", 1000).Iterator()
	batch := make([]string, 0, 1000)
	flush := func() error {
		if len(batch) == 0 {
			return nil
		}
		err := x.c.Unlink(ctx, batch...).Err()
		batch = batch[:0]
		return err
	}
	for it.Next(ctx) {
		batch = append(batch, it.Val())
		if len(batch) == cap(batch) {
			if err := flush(); err != nil {
				return fmt.Errorf("reset: %w", err)
			}
		}
	}
	if err := it.Err(); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	if err := flush(); err != nil {
		return fmt.Errorf("reset: %w", err)
	}
	return nil
}

// Mark records that the index is complete: the service calls it when it
// starts feeding the index and after a Reset.
func (x *Redis) Mark(ctx context.Context) error {
	return x.c.Set(ctx, x.prefix+"epoch", time.Now().UTC().Format(time.RFC3339Nano), 0).Err()
}

// Lost reports whether the mark is gone: Redis restarted without its data
// or was flushed, so the index must be rebuilt from the streams.
func (x *Redis) Lost(ctx context.Context) (bool, error) {
	n, err := x.c.Exists(ctx, x.prefix+"epoch").Result()
	if err != nil {
		return false, err
	}
	return n == 0, nil
}

// Keys lists the keys of this index (for tests and operators).
func (x *Redis) Keys(ctx context.Context) ([]string, error) {
	var keys []string
	it := x.c.Scan(ctx, 0, x.prefix+"*", 1000).Iterator()
	for it.Next(ctx) {
		keys = append(keys, it.Val())
	}
	return keys, it.Err()
}

func ftoa(f float64) string { return strconv.FormatFloat(f, 'f', -1, 64) }

func btoa(b bool) string {
	if b {
		return "1"
	}
	return "0"
}
