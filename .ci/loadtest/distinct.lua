-- wrk script: POSTs the 2 KB applicant_applied example, each request a
-- distinct event (the applicant id carries a thread and request counter), so
-- every request is stored rather than answered as a duplicate.
local body
local counter = 0
local threads = 0
-- tid is a global on purpose: setup() sets it in each thread's own state.
tid = 0
local run = tostring(os.time())

function setup(thread)
  threads = threads + 1
  thread:set("tid", threads)
end

function init(args)
  local f = assert(io.open(os.getenv("BODY_FILE") or "testdata/hirempire/applicant_applied.json", "rb"))
  body = f:read("*a")
  f:close()
end

function request()
  counter = counter + 1
  local id = string.format('"app_%s_%d_%d"', run, tid, counter)
  local b = body:gsub('"app_xyz789wvu654tsr321"', id, 1)
  return wrk.format("POST", nil, { ["Content-Type"] = "application/json" }, b)
end
