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

// maxHourGroups is the most (zone, weekday, hours) groups a ring is
// searched by (slotsScript's "hours"): beyond it, reading the ring's
// realtors costs less than sizing and searching that many hour sets.
const maxHourGroups = 48

// FreeStarts implements Index. It reads the realtors around q.Point ring
// by ring (slotsScript: FirstRingKM, then twice as wide each time, out to
// the largest service radius held), each ring in one round trip, and
// offers them to the computation Memory uses (freeStarts). The first ring
// is read whole; the later ones only from the hour sets of the starts
// still missing, so in a dense area, once the nearest realtors have
// answered, the rest of the area costs a round trip or two and the starts
// nobody works cost nothing.
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
			radiusBucketList, ftoa(EarthRadiusKM), strings.Join(also, " "), "all"}
		if inner >= 0 {
			args = x.appendNeeds(args, f)
		}
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
		if len(res) == 0 || (len(res)-1)%9 != 0 {
			return nil, fmt.Errorf("free starts: %d fields in the answer, want 1 + a multiple of 9", len(res))
		}
		if err := rd.offer(f, x, res[1:]); err != nil {
			return nil, fmt.Errorf("free starts: %w", err)
		}
		if res[0] != "1" {
			break
		}
		inner, outer = outer, 2*outer
	}
	return f.result(), nil
}

// appendNeeds turns the script to the hour sets of the starts still
// missing, in every zone an eligible realtor may be in, unless that is
// more groups than reading the ring is worth.
func (x *Redis) appendNeeds(args []any, f *freeStarts) []any {
	x.mu.Lock()
	tzs := x.tzs
	x.mu.Unlock()
	groups := make([]any, 0, 3*maxHourGroups)
	for _, tz := range tzs {
		loc, err := x.zones.load(tz)
		if err != nil {
			continue // no realtor of a zone this machine lacks is offered (slotReader.offer)
		}
		for _, g := range f.zone(loc).refreshGroups(f) {
			if g.need == 0 || len(groups) == 3*maxHourGroups {
				return args // a group without hours, or too many: read the ring whole
			}
			groups = append(groups, tz, g.weekday, hourList(g.need))
		}
	}
	args[len(args)-1] = "hours"
	return append(append(args, strings.Join(tzs, " ")), groups...)
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

// slotReader reads slotsScript's realtors: zone, windows of weekdays 1 to
// 7, holds. Realtors mostly share a few weekly schedules, so each day's
// windows are parsed once per query.
type slotReader struct {
	buffer  time.Duration
	windows map[string][]window
	blocks  []block
}

func (rd *slotReader) offer(f *freeStarts, x *Redis, res []string) error {
	for i := 0; i+9 <= len(res) && !f.done(); i += 9 {
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
