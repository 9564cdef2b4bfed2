-- For throwaway test servers only: server-to-server connections to the domains listed in
-- s2s_loopback_routes go to 127.0.0.1:port instead of through DNS, so two Prosody processes on
-- one machine can federate without touching /etc/hosts or a resolver. Prosody 13 announces each
-- outgoing connection (s2sout-pre-connect) and takes a resolver from it; 0.12 has no such event,
-- so there the SRV resolver mod_s2s asks for is swapped for these domains.
local basic = require "net.resolvers.basic";
local routes = module:get_option("s2s_loopback_routes", {});

local function loopback(host, extra)
	local port = routes[host];
	return port and basic.new("127.0.0.1", port, "tcp", extra or {});
end

module:hook("s2sout-pre-connect", function (event)
	local resolver = loopback(event.session.to_host);
	if resolver then event.resolver = resolver; end
end);
if not (prosody.version or ""):match("^0%.12") then return; end

local service = require "net.resolvers.service";
local new = service.new;
service.new = function (hostname, srv, proto, extra, ...)
	return loopback(hostname, extra) or new(hostname, srv, proto, extra, ...);
end
module:hook_global("server-stopping", function () service.new = new; end);
