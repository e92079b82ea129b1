-- PUT /missions/{id} with If-Match: each thread cycles through its share of the ids listed in
-- the file BENCH_VERSIONS ("id version" lines) and learns each new version from the answer,
-- so that every request carries the version it last saw (a 412 would be counted as non-2xx).

-- wrk.format replaces wrk.headers (Host, the -H Authorization) with the table it is given.
local function headers_with(extra)
   local merged = {}
   for name, value in pairs(wrk.headers) do merged[name] = value end
   for name, value in pairs(extra) do merged[name] = value end
   return merged
end
local counter = 0

function setup(thread)
   thread:set("slice", counter)
   counter = counter + 1
end

function init(args)
   ids, versions, position = {}, {}, 0
   local threads = tonumber(os.getenv("BENCH_THREADS"))
   local index = 0
   for line in io.lines(os.getenv("BENCH_VERSIONS")) do
      local id, version = line:match("(%d+) (%d+)")
      if index % threads == slice then
         table.insert(ids, id)
         versions[id] = version
      end
      index = index + 1
   end
   prefix = os.getenv("BENCH_PREFIX") or ""
end

function request()
   position = position % #ids + 1
   local id = ids[position]
   return wrk.format("PUT", prefix .. "/missions/" .. id,
                     headers_with({["Content-Type"] = "application/json",
                                   ["If-Match"] = '"' .. versions[id] .. '"'}),
                     '{"remarques": "bench ' .. versions[id] .. '"}')
end

function response(status, headers, body)
   local id = body:match('"id":%s*(%d+)')
   local version = body:match('"version":%s*(%d+)')
   if id and version and versions[id] then
      versions[id] = version
   end
end
