package availability

import "github.com/redis/go-redis/v9"

// The Lua scripts of the Redis index. Each runs atomically in Redis, which
// is what makes a reservation's check-and-hold safe between processes. The
// scripts build their key names from the prefix they are given (ARGV[1]);
// every key carries the same hash tag, so on a Redis Cluster they all live
// in one slot.
//
// Layout under the prefix P ("{name}:"):
//
//	P r:<realtor>          hash: the profile (as, an = UpdatedAt seconds and
//	                       nanoseconds; lat, lng, radius, tz, status,
//	                       verified, active, wh = working hours as JSON,
//	                       sets = the geo sets the realtor is in)
//	P bk:<realtor>         sorted set: "startMs:endMs:tour" scored by endMs,
//	                       the realtor's holds
//	P bt:<realtor>         hash: tour -> its member of bk
//	P busy:<realtor>       hash: the busy blocks of the realtor's own
//	                       calendar (as, an = their at; spans =
//	                       "startMs:endMs,...")
//
// and, for Search, which reads many realtors with one HMGET per ring:
//
//	P geo:<b>              geo set: every eligible realtor whose service
//	                       radius is in bucket b (radiusBuckets)
//	P g:<tz>:<wd>:<hour>:<b>  geo set: the same, of zone tz, who work
//	                       during that local hour of that ISO weekday
//	P prof                 hash: eligible realtor -> "radius lat lng tz"
//	P hours:<wd>           hash: eligible realtor -> that weekday's windows,
//	                       "from-to,from-to" in seconds after local midnight
//	P bks                  hash: realtor -> "startMs:endMs,..." of its holds
//	P offs                 hash: realtor -> "startMs:endMs,..." of its time
//	                       off (r:<realtor> field to) and busy blocks
//	P caps                 hash: realtor -> its daily cap, when it has one
//	P radii                sorted set: eligible realtor -> service radius
//	P tzs                  set: the zones of eligible realtors
//	P epoch                present while the index is complete (see Lost)

// summarizeOff is shared by the scripts that change time off or busy
// blocks: it rewrites the realtor's entries of P offs and P caps.
const summarizeOff = `
local function summarizeOff(p, id)
  local to, cap = unpack(redis.call('HMGET', p .. 'r:' .. id, 'to', 'cap'))
  local busy = redis.call('HGET', p .. 'busy:' .. id, 'spans')
  local parts = {}
  if to and to ~= '' then parts[#parts + 1] = to end
  if busy and busy ~= '' then parts[#parts + 1] = busy end
  if #parts > 0 then
    redis.call('HSET', p .. 'offs', id, table.concat(parts, ','))
  else
    redis.call('HDEL', p .. 'offs', id)
  end
  if cap and tonumber(cap) > 0 then
    redis.call('HSET', p .. 'caps', id, cap)
  else
    redis.call('HDEL', p .. 'caps', id)
  end
end
`

// putRealtorScript: ARGV 1 prefix, 2 id, 3 seconds, 4 nanoseconds,
// 5 eligible "1"/"0", 6 lng, 7 lat, 8 radius, 9 tz, 10 sets, 11 prof,
// 12..18 hours of weekdays 1..7, 19.. hash field/value pairs. Returns 1 if
// applied, 0 if a newer profile is held.
var putRealtorScript = redis.NewScript(summarizeOff + `
local p, id = ARGV[1], ARGV[2]
local key = p .. 'r:' .. id
local as, an = tonumber(ARGV[3]), tonumber(ARGV[4])
local cur = redis.call('HMGET', key, 'as', 'an')
if cur[1] then
  local cs, cn = tonumber(cur[1]), tonumber(cur[2])
  if cs > as or (cs == as and cn > an) then return 0 end
end
local old = redis.call('HGET', key, 'sets')
if old then
  for s in string.gmatch(old, '%S+') do redis.call('ZREM', p .. s, id) end
end
redis.call('ZREM', p .. 'radii', id)
redis.call('HDEL', p .. 'prof', id)
for wd = 1, 7 do redis.call('HDEL', p .. 'hours:' .. wd, id) end
redis.call('DEL', key)
local fields = {}
for i = 19, #ARGV do fields[#fields + 1] = ARGV[i] end
redis.call('HSET', key, 'as', ARGV[3], 'an', ARGV[4], 'sets', ARGV[10], unpack(fields))
if ARGV[5] == '1' then
  for s in string.gmatch(ARGV[10], '%S+') do redis.call('GEOADD', p .. s, ARGV[6], ARGV[7], id) end
  redis.call('ZADD', p .. 'radii', ARGV[8], id)
  redis.call('SADD', p .. 'tzs', ARGV[9])
  redis.call('HSET', p .. 'prof', id, ARGV[11])
  for wd = 1, 7 do
    if ARGV[11 + wd] ~= '' then redis.call('HSET', p .. 'hours:' .. wd, id, ARGV[11 + wd]) end
  end
end
summarizeOff(p, id)
return 1
`)

// putBusyScript: ARGV 1 prefix, 2 realtor, 3 seconds, 4 nanoseconds of
// the blocks' at, 5 the blocks ("startMs:endMs,..."). Returns 1 if
// applied, 0 if newer blocks are held.
var putBusyScript = redis.NewScript(summarizeOff + `
local p, id = ARGV[1], ARGV[2]
local key = p .. 'busy:' .. id
local as, an = tonumber(ARGV[3]), tonumber(ARGV[4])
local cur = redis.call('HMGET', key, 'as', 'an')
if cur[1] then
  local cs, cn = tonumber(cur[1]), tonumber(cur[2])
  if cs > as or (cs == as and cn > an) then return 0 end
end
redis.call('HSET', key, 'as', ARGV[3], 'an', ARGV[4], 'spans', ARGV[5])
summarizeOff(p, id)
return 1
`)

// searchScript: ARGV 1 prefix, 2 lng, 3 lat, 4 max distance km (0: none),
// 5 limit (0: all), 6 start ms ("" for no window), 7 end ms, 8 buffer ms,
// 9 scale (this package's km per Redis km), 10 first ring km, 11 radius
// buckets ("10,25,..."), 12 EarthRadiusKM, 13 the query's other points
// ("lat lng lat lng ...", "" for none), 14.. groups of six: tz, weekday,
// from, to (the window on that zone's wall clock, seconds after local
// midnight), and the first and last instants (ms) of the local day the
// window starts on (for the daily cap).
//
// Realtors are in geo sets by radius bucket, and with a window by local
// hour of the week: a realtor who can take [from, to) works during every
// hour it touches, so of the first and last hours' sets the script
// searches the smaller (ZCARD), and none at all when one is empty. It
// searches rings of growing radius around the point (each sized from how
// many the rings before it accepted), each bucket only out to its largest
// radius, so a dense area stops after the nearest few hundred realtors.
// Within a ring the hits are taken nearest first (ties by id), in chunks:
// a few HMGETs per chunk, then each hit is checked against its own
// radius, working hours, holds, time off and busy blocks (P offs) and
// daily cap (P caps: its holds starting on the window's local day). With other points, a hit must also be
// within its radius (and the max distance) of each of them: the haversine
// from its exact position in prof, as Memory computes it.
//
// Returns three strings per candidate: id, distance (in Redis's km: the
// caller scales it) and prof; or {"?", tz...} when a zone of an eligible
// realtor has no group: the caller adds it and asks again.
var searchScript = redis.NewScript(coversLua + searchLua)

const searchLua = `
local p, lng, lat = ARGV[1], ARGV[2], ARGV[3]
local maxd, limit = tonumber(ARGV[4]), tonumber(ARGV[5])
local timed = ARGV[6] ~= ''
local s, e, buf = tonumber(ARGV[6]), tonumber(ARGV[7]), tonumber(ARGV[8])
local scale = tonumber(ARGV[9])
local top = redis.call('ZREVRANGE', p .. 'radii', 0, 0, 'WITHSCORES')
if #top == 0 then return {} end
local reach = tonumber(top[2])
if maxd > 0 and maxd < reach then reach = maxd end
local buckets = {}
for b in string.gmatch(ARGV[11], '[^,]+') do buckets[#buckets + 1] = b end
local earth, also = tonumber(ARGV[12]), {}
for a, b in string.gmatch(ARGV[13], '(%S+) (%S+)') do also[#also + 1] = {tonumber(a), tonumber(b)} end

local groups = {}
if timed then
  local spans = {}
  for i = 14, #ARGV, 6 do
    spans[ARGV[i]] = {ARGV[i + 1], tonumber(ARGV[i + 2]), tonumber(ARGV[i + 3]), tonumber(ARGV[i + 4]), tonumber(ARGV[i + 5])}
  end
  local missing = {'?'}
  for _, tz in ipairs(redis.call('SMEMBERS', p .. 'tzs')) do
    local sp = spans[tz]
    if sp == nil then
      missing[#missing + 1] = tz
    elseif sp[1] ~= '0' and sp[3] <= 86400 then
      local first, last = math.floor(sp[2] / 3600), math.floor((sp[3] - 1) / 3600)
      for _, b in ipairs(buckets) do
        -- The first and last hours decide: they are where a window
        -- outside most people's hours shows.
        local best, size = nil, -1
        for _, h in ipairs(first == last and {first} or {first, last}) do
          local key = p .. 'g:' .. tz .. ':' .. sp[1] .. ':' .. h .. ':' .. b
          local n = redis.call('ZCARD', key)
          if n == 0 then best = nil break end
          if size < 0 or n < size then best, size = key, n end
        end
        if best then
          groups[#groups + 1] = {key = best, maxr = tonumber(b), hours = p .. 'hours:' .. sp[1], from = sp[2], to = sp[3], ds = sp[4], de = sp[5]}
        end
      end
    end
  end
  if #missing > 1 then return missing end
else
  for _, b in ipairs(buckets) do
    groups[#groups + 1] = {key = p .. 'geo:' .. b, maxr = tonumber(b)}
  end
end

local function bytesLess(a, b)
  local n = math.min(#a, #b)
  for i = 1, n do
    local x, y = string.byte(a, i), string.byte(b, i)
    if x ~= y then return x < y end
  end
  return #a < #b
end

local out, found, seen = {}, 0, 0

-- check takes a chunk of hits and appends those who are free: a few
-- HMGETs for the whole chunk, then cheap string tests per hit.
local function check(chunk)
  local ids = {}
  for k, h in ipairs(chunk) do ids[k] = h[1] end
  seen = seen + #ids
  local radii = redis.call('ZMSCORE', p .. 'radii', unpack(ids))
  local holds = timed and redis.call('HMGET', p .. 'bks', unpack(ids)) or {}
  local offs = timed and redis.call('HMGET', p .. 'offs', unpack(ids)) or {}
  local caps = timed and redis.call('HMGET', p .. 'caps', unpack(ids)) or {}
  local hours = {}
  if timed then
    -- one HMGET per weekday hash in the chunk (one zone: one)
    local byKey = {}
    for k, h in ipairs(chunk) do
      local key = h[4].hours
      byKey[key] = byKey[key] or {}
      table.insert(byKey[key], k)
    end
    for key, ks in pairs(byKey) do
      local these = {}
      for j, k in ipairs(ks) do these[j] = ids[k] end
      local got = redis.call('HMGET', key, unpack(these))
      for j, k in ipairs(ks) do hours[k] = got[j] end
    end
  end
  local profs = {}
  if #also > 0 then profs = redis.call('HMGET', p .. 'prof', unpack(ids)) end
  local took, tprofs = {}, {}
  for k, h in ipairs(chunk) do
    local ok = radii[k] and h[2] <= tonumber(radii[k])
    if ok and #also > 0 then
      local _, la, ln = string.match(profs[k] or '', '^(%S+) (%S+) (%S+)')
      local km = tonumber(radii[k])
      if maxd > 0 and maxd < km then km = maxd end
      ok = la ~= nil and covers(also, earth, tonumber(la), tonumber(ln), km)
    end
    if ok and timed then
      local g = h[4]
      ok = false
      for a, b in string.gmatch(hours[k] or '', '(%d+)-(%d+)') do
        if tonumber(a) <= g.from and g.to <= tonumber(b) then ok = true break end
      end
      if ok and holds[k] then
        local cap, sameDay = caps[k] and tonumber(caps[k]), 0
        for hs, he in string.gmatch(holds[k], '(%d+):(%d+)') do
          hs = tonumber(hs)
          if hs < e + buf and tonumber(he) > s - buf then ok = false break end
          if cap and hs >= g.ds and hs < g.de then sameDay = sameDay + 1 end
        end
        if ok and cap and sameDay >= cap then ok = false end
      end
      if ok and offs[k] then
        for ofs, ofe in string.gmatch(offs[k], '(%d+):(%d+)') do
          if tonumber(ofs) < e and tonumber(ofe) > s then ok = false break end
        end
      end
    end
    if ok then
      took[#took + 1] = h
      tprofs[#took] = profs[k]
      if limit > 0 and found + #took >= limit then break end
    end
  end
  if #took == 0 then return false end
  if #also == 0 then
    local tids = {}
    for k, h in ipairs(took) do tids[k] = h[1] end
    tprofs = redis.call('HMGET', p .. 'prof', unpack(tids))
  end
  for k, h in ipairs(took) do
    out[#out + 1] = h[1]
    out[#out + 1] = h[3]
    out[#out + 1] = tprofs[k]
  end
  found = found + #took
  return limit > 0 and found >= limit
end

local prev, r = -1, tonumber(ARGV[10])
if limit <= 0 then r = reach end
while #groups > 0 do
  if r > reach then r = reach end
  -- Each group's hits come nearest first (ASC); merge them.
  local lists, heads = {}, {}
  for i, g in ipairs(groups) do
    lists[i], heads[i] = {}, 1
    if g.maxr > prev then
      local rr = math.min(r, g.maxr)
      local wide = string.format('%.6f', rr / scale * 1.000001 + 0.0001)
      lists[i] = redis.call('GEOSEARCH', g.key, 'FROMLONLAT', lng, lat, 'BYRADIUS', wide, 'km', 'ASC', 'WITHDIST')
      local n = #lists[i]
      -- skip what an inner ring took: binary search on the distance
      local lo, hi = 1, n + 1
      while lo < hi do
        local mid = math.floor((lo + hi) / 2)
        if tonumber(lists[i][mid][2]) * scale > prev then hi = mid else lo = mid + 1 end
      end
      heads[i] = lo
    end
  end
  local chunk = {}
  while true do
    local bi, bh = nil, nil
    for i, g in ipairs(groups) do
      local h = lists[i][heads[i]]
      if h then
        if h[3] == nil then h[3], h[2], h[4] = h[2], tonumber(h[2]) * scale, g end
        if h[2] > math.min(r, g.maxr) then
          lists[i] = {}
        elseif bh == nil or h[2] < bh[2] or (h[2] == bh[2] and bytesLess(h[1], bh[1])) then
          bi, bh = i, h
        end
      end
    end
    if bi ~= nil then
      heads[bi] = heads[bi] + 1
      chunk[#chunk + 1] = bh
    end
    local want = limit > 0 and math.max(16, 2 * (limit - found)) or 256
    if #chunk > 0 and (bi == nil or #chunk >= want) then
      if check(chunk) then return out end
      chunk = {}
    end
    if bi == nil then break end
  end
  if r >= reach then break end
  -- The next ring: as wide as the acceptance so far says the rest needs
  -- (by area), at least 1.25 and at most 4 times this one.
  local grow = 2
  if seen > 0 and found > 0 then
    local target = seen + (limit - found) * seen / found * 1.25 + 8
    grow = math.sqrt(target / seen)
  elseif seen > 0 then
    grow = 4
  end
  prev, r = r, r * math.min(4, math.max(1.25, grow))
end
return out
`

// coversLua is shared by the scripts that read realtors for several
// points: covers reports whether (lat, lng) is within km of every point of
// also ({lat, lng} pairs), by the same haversine as this package's
// DistanceKM on a sphere of radius earth.
const coversLua = `
local function covers(also, earth, lat, lng, km)
  local rad = math.pi / 180
  for _, q in ipairs(also) do
    local p1, p2 = lat * rad, q[1] * rad
    local a, b = math.sin((p2 - p1) / 2), math.sin((q[2] - lng) * rad / 2)
    local h = a * a + math.cos(p1) * math.cos(p2) * b * b
    if 2 * earth * math.asin(math.sqrt(math.min(1, h))) > km then return false end
  end
  return true
end
`

// slotsScript reads, for FreeStarts, the realtors of one ring around a
// point: ARGV 1 prefix, 2 lng, 3 lat, 4 scale (this package's km per
// Redis km), 5 inner km (the realtors at or within it were read: -1 for
// none), 6 outer km, 7 radius buckets ("10,25,..."), 8 EarthRadiusKM,
// 9 the other points ("lat lng lat lng ...", "" for none), 10 "all" or
// "hours"; optional with "all", required with "hours": 11 the zones the
// caller knows (space-separated), 12.. groups of three: zone, ISO weekday
// and the local hours ("9,10,11") that the starts of the group need a
// realtor of that zone to work on that weekday.
//
// The ring reaches the buckets whose bound is beyond inner, each out to
// the smaller of its bound and outer. Per group and reached bucket it
// sizes (ZCARD) the hour sets (P g:...) of the group's hours: a realtor who
// can take such a start works every one of those hours, so is in each. A
// group with an empty set in every reached bucket is dead: nobody from
// this ring out can take its starts. With "all" the ring reads the
// reached buckets' geo sets; with "hours" only, per live group and bucket,
// the smallest of its hour sets (none when one of its sets is chosen
// already), or the buckets' sets when the chosen ones hold more realtors.
// A hit counts when it is beyond inner (it was not read before), within
// its own service radius (ZMSCORE of radii) and that radius covers every
// other point (its exact position, in prof).
//
// Returns "1" when a wider ring may find more (outer is below the largest
// radius held and, with "hours", some group is live), else "0"; then the
// dead groups' indexes ("0,3,4", "" for none); then eleven strings per
// realtor: zone, its windows on weekdays 1 to 7 (as P hours:<wd> holds
// them, "" for none), its holds (as P bks, "" for none), its time off and
// busy blocks (as P offs, "" for none) and its daily cap ("" for none). Or
// {"?", zone...} when an eligible realtor's zone is not among the
// caller's: the caller adds it and asks again. It names no realtor.
var slotsScript = redis.NewScript(coversLua + slotsLua)

const slotsLua = `
local p, lng, lat = ARGV[1], ARGV[2], ARGV[3]
local scale, inner, outer = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local earth, also = tonumber(ARGV[8]), {}
for a, b in string.gmatch(ARGV[9], '(%S+) (%S+)') do also[#also + 1] = {tonumber(a), tonumber(b)} end
local top = redis.call('ZREVRANGE', p .. 'radii', 0, 0, 'WITHSCORES')
if #top == 0 then return {'0', ''} end
local reach, more = tonumber(top[2]), '1'
if outer >= reach then outer, more = reach, '0' end
local buckets = {}
for b in string.gmatch(ARGV[7], '[^,]+') do buckets[#buckets + 1] = b end

-- The buckets this ring reaches: a realtor of bucket b is at most b km
-- away from a point they cover.
local whole = {}
for _, b in ipairs(buckets) do
  if math.min(outer, tonumber(b)) > inner then whole[#whole + 1] = {p .. 'geo:' .. b, tonumber(b), b} end
end

-- Per group and bucket, the smallest hour set of the group's hours, none
-- when one is empty or one was chosen for another group already; a group
-- with none in any bucket is dead: nobody from here out can take it.
local keys, dead, held = {}, {}, 0
if #ARGV >= 12 or ARGV[10] == 'hours' then
  local given, missing = {}, {'?'}
  for tz in string.gmatch(ARGV[11], '%S+') do given[tz] = true end
  for _, tz in ipairs(redis.call('SMEMBERS', p .. 'tzs')) do
    if not given[tz] then missing[#missing + 1] = tz end
  end
  if #missing > 1 then return missing end
  local sizes, chosen = {}, {}
  for i = 12, #ARGV, 3 do
    local pre, live = p .. 'g:' .. ARGV[i] .. ':' .. ARGV[i + 1] .. ':', false
    for _, w in ipairs(whole) do
      local best, size, empty, searched = nil, -1, false, false
      for h in string.gmatch(ARGV[i + 2], '%d+') do
        local key = pre .. h .. ':' .. w[3]
        local n = sizes[key]
        if n == nil then
          n = redis.call('ZCARD', key)
          sizes[key] = n
        end
        if n == 0 then empty = true break end
        searched = searched or chosen[key] ~= nil
        if size < 0 or n < size then best, size = key, n end
      end
      if best and not empty then
        live = true
        if not searched then
          chosen[best] = true
          keys[#keys + 1] = {best, w[2]}
          held = held + size
        end
      end
    end
    if not live then dead[#dead + 1] = tostring((i - 12) / 3) end
  end
end
dead = table.concat(dead, ',')
if ARGV[10] == 'hours' then
  if #keys == 0 then return {'0', dead} end
  -- The bucket sets instead, when they cost less: a search costs about
  -- as much as reading 32 hits.
  local all = 0
  for _, k in ipairs(whole) do all = all + redis.call('ZCARD', k[1]) end
  if all + 32 * #whole <= held + 32 * #keys then keys = whole end
else
  keys = whole
end

local ids, dists, seen = {}, {}, {}
for _, k in ipairs(keys) do
  local maxr = math.min(outer, k[2])
  if maxr > inner then
    local wide = string.format('%.6f', maxr / scale * 1.000001 + 0.0001)
    for _, h in ipairs(redis.call('GEOSEARCH', k[1], 'FROMLONLAT', lng, lat, 'BYRADIUS', wide, 'km', 'WITHDIST')) do
      local d = tonumber(h[2]) * scale
      if d > inner and d <= maxr and not seen[h[1]] then
        seen[h[1]] = true
        ids[#ids + 1] = h[1]
        dists[#ids] = d
      end
    end
  end
end

local out = {more, dead}
for from = 1, #ids, 500 do
  local cids, cd = {}, {}
  for k = from, math.min(from + 499, #ids) do
    cids[#cids + 1] = ids[k]
    cd[#cids] = dists[k]
  end
  local radii = redis.call('ZMSCORE', p .. 'radii', unpack(cids))
  local profs = redis.call('HMGET', p .. 'prof', unpack(cids))
  local took, zones = {}, {}
  for k, id in ipairs(cids) do
    local r = radii[k] and tonumber(radii[k])
    if r and cd[k] <= r then
      local _, la, ln, tz = string.match(profs[k] or '', '^(%S+) (%S+) (%S+) (%S+)$')
      if la and covers(also, earth, tonumber(la), tonumber(ln), r) then
        took[#took + 1] = id
        zones[#took] = tz
      end
    end
  end
  if #took > 0 then
    local hours = {}
    for wd = 1, 7 do hours[wd] = redis.call('HMGET', p .. 'hours:' .. wd, unpack(took)) end
    local holds = redis.call('HMGET', p .. 'bks', unpack(took))
    local offs = redis.call('HMGET', p .. 'offs', unpack(took))
    local caps = redis.call('HMGET', p .. 'caps', unpack(took))
    for k = 1, #took do
      out[#out + 1] = zones[k]
      for wd = 1, 7 do out[#out + 1] = hours[wd][k] or '' end
      out[#out + 1] = holds[k] or ''
      out[#out + 1] = offs[k] or ''
      out[#out + 1] = caps[k] or ''
    end
  end
end
return out
`

// summarize is shared by the scripts that change holds: it rewrites the
// realtor's entry of P bks from its bk set.
const summarize = `
local function summarize(p, rid)
  local ms = redis.call('ZRANGE', p .. 'bk:' .. rid, 0, -1)
  if #ms == 0 then
    redis.call('HDEL', p .. 'bks', rid)
    return
  end
  local parts = {}
  for i, m in ipairs(ms) do parts[i] = string.match(m, '^(%d+:%d+):') end
  redis.call('HSET', p .. 'bks', rid, table.concat(parts, ','))
end
`

// reserveScript: ARGV 1 prefix, 2 realtor, 3 tour, 4 start ms, 5 end ms,
// 6 buffer ms. Returns {"ok"} or {"taken", other tour}.
var reserveScript = redis.NewScript(summarize + `
local p, rid, tour = ARGV[1], ARGV[2], ARGV[3]
local s, e, buf = tonumber(ARGV[4]), tonumber(ARGV[5]), tonumber(ARGV[6])
local bk, bt = p .. 'bk:' .. rid, p .. 'bt:' .. rid
local member = ARGV[4] .. ':' .. ARGV[5] .. ':' .. tour
local old = redis.call('HGET', bt, tour)
if old == member then return {'ok'} end
for _, m in ipairs(redis.call('ZRANGEBYSCORE', bk, '(' .. string.format('%d', s - buf), '+inf')) do
  if m ~= old then
    local bs, other = string.match(m, '^(%d+):%d+:(.*)$')
    if tonumber(bs) < e + buf then return {'taken', other} end
  end
end
if old then redis.call('ZREM', bk, old) end
redis.call('ZADD', bk, ARGV[5], member)
redis.call('HSET', bt, tour, member)
summarize(p, rid)
return {'ok'}
`)

// releaseScript: ARGV 1 prefix, 2 realtor, 3 tour, 4 start ms or "",
// 5 end ms. Returns 1 if a hold was dropped.
var releaseScript = redis.NewScript(summarize + `
local p, rid, tour = ARGV[1], ARGV[2], ARGV[3]
local bk, bt = p .. 'bk:' .. rid, p .. 'bt:' .. rid
local old = redis.call('HGET', bt, tour)
if not old then return 0 end
if ARGV[4] ~= '' and old ~= ARGV[4] .. ':' .. ARGV[5] .. ':' .. tour then return 0 end
redis.call('ZREM', bk, old)
redis.call('HDEL', bt, tour)
summarize(p, rid)
return 1
`)

// pruneScript: ARGV 1 prefix, 2 realtor, 3 before ms. Drops holds that
// ended before it; returns how many.
var pruneScript = redis.NewScript(summarize + `
local p, rid = ARGV[1], ARGV[2]
local bk, bt = p .. 'bk:' .. rid, p .. 'bt:' .. rid
local old = redis.call('ZRANGEBYSCORE', bk, '-inf', '(' .. ARGV[3])
for _, m in ipairs(old) do
  redis.call('HDEL', bt, string.match(m, '^%d+:%d+:(.*)$'))
end
if #old > 0 then redis.call('ZREMRANGEBYSCORE', bk, '-inf', '(' .. ARGV[3]) end
summarize(p, rid)
return #old
`)
