-- A planner's day at once: BENCH_MIX lists "weight method path" lines; each request draws one
-- (the same seeded draw in every run). POST bodies create an unassigned mission.

-- wrk.format replaces wrk.headers (Host, the -H Authorization) with the table it is given.
local function headers_with(extra)
   local merged = {}
   for name, value in pairs(wrk.headers) do merged[name] = value end
   for name, value in pairs(extra) do merged[name] = value end
   return merged
end
function init(args)
   choices = {}
   for line in io.lines(os.getenv("BENCH_MIX")) do
      local weight, method, path = line:match("(%d+) (%u+) (%S+)")
      for _ = 1, tonumber(weight) do
         table.insert(choices, {method, path})
      end
   end
   math.randomseed(7)
end

function request()
   local choice = choices[math.random(#choices)]
   if choice[1] == "POST" then
      return wrk.format("POST", choice[2], headers_with({["Content-Type"] = "application/json"}),
                        '{"date_mission": "2024-05-02", "destination": "Mix", "heure_debut": "09:00"}')
   end
   return wrk.format(choice[1], choice[2], headers_with({}))
end
