package availability

import (
	"context"
	"errors"
	"fmt"
	"math/bits"
	"strconv"
	"strings"
	"time"
)

// maxGroups is the most (zone, weekday, hours) groups of the starts still
// missing that a ring is sent (slotsScript): it then says which of them
// nobody from that ring out can take, settling those starts without
// reading anyone, and after the first ring it reads only those groups'
// hour sets. Beyond, sizing that many hour sets (a ZCARD per group, hour
// and bucket) costs more than it saves (docs/performance.md, "Open
// slots").
const maxGroups = 48

// FreeStarts implements Index. It reads the realtors around q.Point ring
// by ring (slotsScript: FirstRingKM, then twice as wide each time, four
// times after a ring with nobody, out to the largest service radius
// held), each ring in one round trip, and offers them to the computation
// Memory uses (freeStarts). Once the nearest realtors have answered, the
// starts left are few groups of hours: the next ring is read only from
// their hour sets, and the starts nobody works end the query at once. In
// a dense area that is one or two round trips.
func (x *Redis) FreeStarts(ctx context.Context, q SlotQuery) ([]time.Time, error) {
	f, q, err := newFreeStarts(q)
	if err != nil {
		return nil, err
	}
	also := make([]string, 0, 2*len(q.Also))
	for _, p := range q.Also {
		also = append(also, ftoa(p.Lat), ftoa(p.Lng))
	}
	rd := slotReader{buffer: x.opts.Buffer, windows: map[string][]window{}}
	inner, outer := -1.0, x.first
	for asked := 0; !f.done(); {
		args := []any{x.prefix, ftoa(q.Point.Lng), ftoa(q.Point.Lat), ftoa(redisScale), ftoa(inner), ftoa(outer),
			radiusBucketList, ftoa(earthRadiusKM), strings.Join(also, " "), "all"}
		args, sent := x.appendGroups(args, f, inner >= 0)
		res, err := slotsScript.RunRO(ctx, x.c, nil, args...).StringSlice()
		if err != nil {
			return nil, fmt.Errorf("free starts: %w", err)
		}
		if len(res) > 0 && res[0] == "?" {
			if asked++; asked > 4 {
				return nil, errors.New("free starts: the index keeps naming time zones it does not hold")
			}
			x.learnZones(res[1:])
			continue
		}
		if len(res) < 2 || (len(res)-2)%slotFields != 0 {
			return nil, fmt.Errorf("free starts: %d fields in the answer, want 2 + a multiple of %d", len(res), slotFields)
		}
		if err := sent.settle(f, res[1]); err != nil {
			return nil, fmt.Errorf("free starts: %w", err)
		}
		if err := rd.offer(f, x, res[2:]); err != nil {
			return nil, fmt.Errorf("free starts: %w", err)
		}
		if res[0] != "1" {
			break
		}
		grow := 2.0
		if len(res) == 2 {
			grow = 4
		}
		inner, outer = outer, grow*outer
	}
	return f.result(), nil
}

// sentGroups are the groups a ring was sent, in order, for reading which
// the script found dead.
type sentGroups struct {
	zones  []*time.Location // every zone an eligible realtor may be in; nil: one this machine lacks
	groups []zoneGroup
}

type zoneGroup struct {
	zone int // in zones
	needGroup
}

// appendGroups adds the zones and the groups of the starts still missing
// in each, unless there are more than maxGroups, and then, when hours is
// set, turns the ring to the groups' hour sets.
func (x *Redis) appendGroups(args []any, f *freeStarts, hours bool) ([]any, *sentGroups) {
	x.mu.Lock()
	tzs := x.tzs
	x.mu.Unlock()
	sent := &sentGroups{zones: make([]*time.Location, len(tzs))}
	list := make([]any, 0, 3*maxGroups)
	for z, tz := range tzs {
		loc, err := x.zones.load(tz)
		if err != nil {
			continue // its realtors are never offered (slotReader.offer)
		}
		sent.zones[z] = loc
		for _, g := range f.zone(loc).refreshGroups(f) {
			if len(sent.groups) == maxGroups {
				return args, nil
			}
			hours = hours && g.need != 0
			sent.groups = append(sent.groups, zoneGroup{z, g})
			list = append(list, tz, g.weekday, hourList(g.need))
		}
	}
	if hours {
		args[len(args)-1] = "hours"
	}
	return append(append(args, strings.Join(tzs, " ")), list...), sent
}

// settle marks the starts no realtor can take any more: in every zone,
// their group is among dead (the script's list of indexes into the groups
// sent), their tour ends on a later local day, or the zone is one this
// machine lacks.
func (s *sentGroups) settle(f *freeStarts, dead string) error {
	if s == nil || dead == "" {
		return nil
	}
	gone := make([]map[needGroup]bool, len(s.zones))
	for part := range strings.SplitSeq(dead, ",") {
		k, err := strconv.Atoi(part)
		if err != nil || k < 0 || k >= len(s.groups) {
			return fmt.Errorf("malformed dead groups %q", dead)
		}
		g := s.groups[k]
		if gone[g.zone] == nil {
			gone[g.zone] = map[needGroup]bool{}
		}
		gone[g.zone][g.needGroup] = true
	}
	f.settle(func(i int) bool {
		for z, loc := range s.zones {
			if loc == nil {
				continue
			}
			zv := f.zone(loc)
			if zv.weekday[i] != 0 && !gone[z][needGroup{int(zv.weekday[i]), zv.need[i]}] {
				return false
			}
		}
		return true
	})
	return nil
}

// hourList writes the hours of mask as "9,10,11".
func hourList(mask uint32) string {
	var b strings.Builder
	for mask != 0 {
		h := bits.TrailingZeros32(mask)
		mask &^= 1 << h
		if b.Len() > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.Itoa(h))
	}
	return b.String()
}

// slotFields is how many strings slotsScript answers per realtor.
const slotFields = 11

// slotReader reads slotsScript's realtors: zone, windows of weekdays 1 to
// 7, holds, time off and busy blocks, daily cap. Realtors mostly share a few weekly schedules, so each day's
// windows are parsed once per query.
type slotReader struct {
	buffer  time.Duration
	windows map[string][]window
	blocks  []block
}

func (rd *slotReader) offer(f *freeStarts, x *Redis, res []string) error {
	for i := 0; i+slotFields <= len(res) && !f.done(); i += slotFields {
		loc, err := x.zones.load(res[i])
		if err != nil {
			continue // not eligible on this machine, as prepare decides
		}
		var sched schedule
		var hours [8]uint32
		for wd := 1; wd <= 7; wd++ {
			ws, ok := rd.windows[res[i+wd]]
			if !ok {
				if ws, err = parseWindows(res[i+wd]); err != nil {
					return err
				}
				rd.windows[res[i+wd]] = ws
			}
			sched[wd] = ws
			for _, w := range ws {
				hours[wd] |= hourBits(w.From, w.To)
			}
		}
		if !f.wants(loc, &hours) || !f.consider(loc, &sched) {
			continue
		}
		if rd.blocks, err = parseBlocks(res[i+8], rd.buffer, rd.blocks[:0]); err != nil {
			return err
		}
		if rd.blocks, err = parseBlocks(res[i+9], 0, rd.blocks); err != nil {
			return err
		}
		if res[i+10] != "" {
			limit, err := strconv.Atoi(res[i+10])
			if err != nil {
				return fmt.Errorf("malformed cap %q", res[i+10])
			}
			starts, err := parseBlocks(res[i+8], 0, nil)
			if err != nil {
				return err
			}
			ss := make([]int64, len(starts))
			for k, b := range starts {
				ss[k] = b.from
			}
			rd.blocks = capBlocks(loc, limit, ss, rd.blocks)
		}
		sortBlocks(rd.blocks)
		f.take(rd.blocks)
	}
	return nil
}

// parseWindows reads a day's windows as P hours:<wd> holds them:
// "from-to,from-to" in seconds after local midnight.
func parseWindows(s string) ([]window, error) {
	if s == "" {
		return nil, nil
	}
	var out []window
	for part := range strings.SplitSeq(s, ",") {
		a, b, ok := strings.Cut(part, "-")
		from, err1 := strconv.Atoi(a)
		to, err2 := strconv.Atoi(b)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("malformed working hours %q", s)
		}
		out = append(out, window{from, to})
	}
	return out, nil
}

// parseBlocks reads a realtor's holds as P bks holds them
// ("startMs:endMs,..."), widened by buffer, onto dst.
func parseBlocks(s string, buffer time.Duration, dst []block) ([]block, error) {
	if s == "" {
		return dst, nil
	}
	buf := buffer.Milliseconds()
	for part := range strings.SplitSeq(s, ",") {
		a, b, ok := strings.Cut(part, ":")
		start, err1 := strconv.ParseInt(a, 10, 64)
		end, err2 := strconv.ParseInt(b, 10, 64)
		if !ok || err1 != nil || err2 != nil {
			return nil, fmt.Errorf("malformed holds %q", s)
		}
		dst = append(dst, block{start - buf, end + buf})
	}
	return dst, nil
}
