-- For throwaway test servers only: server-to-server connections to the domains listed in
-- s2s_loopback_routes go to 127.0.0.1:port instead of through DNS, so two Prosody processes on
-- one machine can federate without touching /etc/hosts or a resolver. Needs mod_s2s's
-- s2sout-pre-connect event (Prosody 0.12 and later).
local basic = require "net.resolvers.basic";
local routes = module:get_option("s2s_loopback_routes", {});

module:hook("s2sout-pre-connect", function (event)
	local port = routes[event.session.to_host];
	if port then
		event.resolver = basic.new("127.0.0.1", port, "tcp", {});
	end
end);
