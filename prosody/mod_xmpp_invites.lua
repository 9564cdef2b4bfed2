-- mod_xmpp_invites: lets this host's own in-band registration redeem the invites of the
-- xmpp-invites component, so an app that opens xmpp:example.org?register;preauth=TOKEN works.
--
--   VirtualHost "example.org"
--     modules_enabled = { "xmpp_invites" }
--     xmpp_invites_component = "invites.example.org"
--
-- The app sends the XEP-0401/XEP-0445 preauth IQ and then XEP-0077 registration on its
-- unauthenticated stream. Each step is checked by the component (urn:xmpp-invites:bridge:0, one
-- IQ from this host); Prosody creates the account itself, and the component records the use only
-- after the account exists. Any refusal is passed on as the component worded it; when the
-- component cannot be reached, registration fails closed with a 'wait' error.
--
-- Contact invites (XEP-0379): a subscription request to a user of this host that carries the
-- token of that user's contact invite is approved at once, and answered with a subscription
-- request back, once the component has reserved a use of the invite. The request comes from the
-- invitee's own server, which is what proves the invitee controls the address. Any token the
-- component does not accept leaves the request to the normal, manual flow.

local st = require "util.stanza";
local new_id = require "util.id".short;
local new_long_id = require "util.id".long;
local async = require "util.async";
local errors = require "util.error";
local dataforms = require "util.dataforms";
local usermanager = require "core.usermanager";
local rostermanager = require "core.rostermanager";
local jid_split, jid_bare = require "util.jid".split, require "util.jid".bare;

local xmlns_bridge = "urn:xmpp-invites:bridge:0";
local component = module:get_option_string("xmpp_invites_component");
-- Prosody 13 reads periods ("10s", "1 minute"); 0.12 only numbers of seconds.
local timeout = (module.get_option_period or module.get_option_number)(module, "xmpp_invites_timeout", 10);
local require_encryption = module:get_option_boolean("c2s_require_encryption",
	module:get_option_boolean("require_encryption", true));

if not component then
	error("mod_xmpp_invites needs xmpp_invites_component, the JID of the xmpp-invites component");
end

module:depends("register_ibr");

-- What the component asks to learn that apps can redeem its invites here.
module:add_feature(xmlns_bridge);
module:add_extension(dataforms.new({
	{ name = "FORM_TYPE", type = "hidden", value = xmlns_bridge };
	{ name = "component", type = "jid-single" };
}):form({ component = component }, "result"));

-- What apps look for before they send a preauth token (XEP-0401 0.3.0, XEP-0445).
local invite_features = {
	st.stanza("register", { xmlns = "urn:xmpp:invite" });
	st.stanza("register", { xmlns = "urn:xmpp:ibr-token:0" });
};
module:hook("stream-features", function (event)
	local session, features = event.origin, event.features;
	if session.type ~= "c2s_unauthed" or (require_encryption and not session.secure) then
		return;
	end
	for _, feature in ipairs(invite_features) do
		features:add_child(feature);
	end
end);

local unreachable = errors.new({
	type = "wait", condition = "service-unavailable",
	text = "The invite service is not reachable; please try again later",
});

-- One request to the component. Resolves with its payload (or true), rejects with a util.error;
-- a refusal by the component carries <refused xmlns='urn:xmpp-invites:bridge:0'/>.
local function ask(payload)
	local iq = st.iq({ type = "set", from = module.host, to = component, id = new_id() });
	iq:add_child(payload);
	return module:send_iq(iq, nil, timeout):next(function (event)
		local reply = event.stanza;
		-- A component that is not connected is answered by Prosody itself, through the same path.
		if reply.attr.type == "error" then
			error(errors.from_stanza(reply));
		end
		return reply.tags[1] or true;
	end);
end

local function is_refusal(err)
	local tag = errors.is_error(err) and err.extra and err.extra.tag;
	return tag and tag.name == "refused" and tag.attr.xmlns == xmlns_bridge;
end

-- What the client is told: the component's own words, or "try again later".
local function client_error(err)
	if is_refusal(err) then
		return err;
	end
	module:log("warn", "The invite service %s did not answer: %s", component,
		errors.is_error(err) and (err.text or err.condition) or tostring(err));
	return unreachable;
end

local function ask_and_wait(payload)
	if not async.ready() then
		module:log("error", "Invite check outside an async context; refusing");
		return nil, unreachable;
	end
	local reply, err = async.wait_for(ask(payload));
	if reply == nil then
		return nil, client_error(err);
	end
	return reply;
end

-- Tells the component how a claim ended. Retried until it answers: until then the use stays
-- reserved there, so the token cannot be redeemed twice meanwhile.
local function settle(claim, verb, attempt)
	-- A registration claim names a localpart of this host, a contact claim the invitee's JID.
	local who = claim.username:find("@", 1, true) and claim.username or (claim.username .. "@" .. module.host);
	ask(st.stanza(verb, { xmlns = xmlns_bridge, claim = claim.id, username = claim.username })):next(function ()
		module:log("debug", "Invite claim for %s: %s", who, verb);
	end, function (err)
		if is_refusal(err) then
			module:log("warn", "The invite service refused to %s the claim for %s: %s", verb, who, err.text or err.condition);
			return;
		end
		attempt = (attempt or 0) + 1;
		local delay = math.min(300, 5 * 2 ^ (attempt - 1));
		module:log("warn", "Could not %s the invite claim for %s (%s); retrying in %ds",
			verb, who, errors.is_error(err) and (err.text or err.condition) or tostring(err), delay);
		module:add_timer(delay, function ()
			settle(claim, verb, attempt);
		end);
	end);
end

-- XEP-0401 0.3.0 §5.5 / XEP-0445: the client shows its token before registering.
module:hook("stanza/iq/urn:xmpp:pars:0:preauth", function (event)
	local origin, stanza = event.origin, event.stanza;
	if origin.type ~= "c2s_unauthed" then
		return;
	end
	local token = stanza.tags[1].attr.token;
	local ok, err = ask_and_wait(st.stanza("check", { xmlns = xmlns_bridge, token = token }));
	if not ok then
		origin.send(st.error_reply(stanza, err.type, err.condition, err.text));
		return true;
	end
	origin.xmpp_invites_token = token;
	origin.send(st.reply(stanza));
	return true;
end);

-- The component decides (policy, invite, username, password) and reserves the use. Runs after
-- every other check (e.g. mod_register_limits), so a registration refused anyway claims nothing.
module:hook("user-registering", function (event)
	local session = event.session;
	if not event.allowed or not session or session.type ~= "c2s_unauthed" then
		return;
	end
	local username = event.username;
	-- Named here, so the use can be given back even when the component's answer never arrives.
	local claim_id = new_long_id();
	local request = st.stanza("claim", {
		xmlns = xmlns_bridge;
		id = claim_id;
		token = session.xmpp_invites_token;
		username = username;
		exists = usermanager.user_exists(username, module.host) and "true" or "false";
	}):text_tag("password", event.password);
	local reply, err = ask_and_wait(request);
	if not reply then
		event.allowed = false;
		event.error = err;
		if session.xmpp_invites_token and not is_refusal(err) then
			-- No answer: the component may have reserved the use. No account is made, so give it back.
			settle({ id = claim_id, username = username }, "release");
		end
		return;
	end
	if reply == true or not reply.attr.id then
		return; -- open registration: no invite, nothing to settle
	end
	local claim = { id = reply.attr.id, username = username };
	if reply.attr.action == "reset" then
		if not usermanager.user_exists(username, module.host) then
			-- Deleted while we asked: a reset invite must never create an account.
			settle(claim, "release");
			event.allowed = false;
			event.error = errors.new({ type = "cancel", condition = "item-not-found",
				text = "The account whose password this invite resets does not exist" });
			return;
		end
		event.allow_reset = username;
	end
	session.xmpp_invites_claim = claim;
end, -10);

local function consume(event)
	local session = event.session;
	local claim = session and session.xmpp_invites_claim;
	if not claim or claim.username ~= event.username then
		return;
	end
	session.xmpp_invites_claim, session.xmpp_invites_token = nil, nil;
	settle(claim, "consume");
end
module:hook("user-registered", consume);
module:hook("user-password-reset", consume);

-- mod_register_ibr answers some refusals (e.g. the name was taken meanwhile) without an event;
-- a claim still held after its handler returned belongs to an account that was not created.
module:wrap_event("stanza/iq/jabber:iq:register:query", function (handlers, event_name, event_data)
	local ok, ret = pcall(handlers, event_name, event_data);
	local session = event_data.origin;
	local claim = session.xmpp_invites_claim;
	session.xmpp_invites_claim = nil;
	if not ok then
		if claim then
			-- The account may or may not exist: the use stays reserved until someone settles it.
			module:log("error", "Registration of %s@%s failed midway; invite claim %s left reserved", claim.username, module.host, claim.id);
		end
		error(ret, 0);
	end
	if claim then
		settle(claim, "release");
	end
	return ret;
end);

-- The component asks how a contact claim ended when this module's consume or release never reached
-- it: whether the inviter's roster approves the invitee (subscription 'from' or 'both'). Read from the
-- inviter's own roster, not through rostermanager.is_contact_subscribed, which may answer from the invitee's.
module:hook("iq-get/host/" .. xmlns_bridge .. ":subscription", function (event)
	local origin, stanza = event.origin, event.stanza;
	if stanza.attr.from ~= component then
		origin.send(st.error_reply(stanza, "auth", "forbidden"));
		return true;
	end
	local query = stanza.tags[1];
	local username, host = jid_split(query.attr.inviter);
	local contact = jid_bare(query.attr.jid);
	if not username or host ~= module.host or not contact then
		origin.send(st.error_reply(stanza, "modify", "bad-request", "inviter (a user of this host) and jid are required"));
		return true;
	end
	local roster, err = rostermanager.load_roster(username, host);
	if not roster or err then
		origin.send(st.error_reply(stanza, "wait", "internal-server-error", "The roster could not be read"));
		return true;
	end
	local item = roster[contact];
	local approved = item ~= nil and (item.subscription == "from" or item.subscription == "both");
	origin.send(st.reply(stanza):tag("subscription", { xmlns = xmlns_bridge, approved = approved and "true" or "false" }));
	return true;
end);

-- XEP-0379 §3.4: <presence type='subscribe'><preauth xmlns='urn:xmpp:pars:0' token='T'/></presence>
-- to a user of this host. Runs before mod_presence, which then finds the contact approved.
module:hook("presence/bare", function (event)
	local stanza = event.stanza;
	if stanza.attr.type ~= "subscribe" then
		return;
	end
	local preauth = stanza:get_child("preauth", "urn:xmpp:pars:0");
	local token = preauth and preauth.attr.token;
	local username, host = jid_split(stanza.attr.to);
	local contact = jid_bare(stanza.attr.from);
	if not token or not username or host ~= module.host or not contact or not usermanager.user_exists(username, host) then
		return;
	end
	if rostermanager.is_contact_subscribed(username, host, contact) then
		return; -- already approved: nothing to spend the invite on
	end
	if not async.ready() then
		module:log("debug", "Contact invite from %s outside an async context; left to the user", contact);
		return;
	end
	local reply, err = async.wait_for(ask(st.stanza("subscribe", {
		xmlns = xmlns_bridge, token = token, inviter = username .. "@" .. host, jid = contact,
	})));
	if not reply then
		-- XEP-0379: a token that is not accepted is ignored; the user approves as usual.
		module:log("debug", "Contact invite token from %s to %s@%s not accepted: %s", contact, username, host,
			errors.is_error(err) and (err.text or err.condition) or tostring(err));
		return;
	end
	local claim = { id = reply ~= true and reply.attr.claim or nil, username = contact };
	if not claim.id then
		module:log("warn", "The invite service accepted a contact invite without a claim; left to the user");
		return;
	end
	if not (rostermanager.set_contact_pending_in(username, host, contact, stanza)
		and rostermanager.subscribed(username, host, contact)) then
		module:log("error", "Could not approve %s on the roster of %s@%s; the invite stays usable", contact, username, host);
		settle(claim, "release");
		return;
	end
	rostermanager.roster_push(username, host, contact);
	-- Answered here, not left to mod_presence: when the inviter is offline and the invitee is on this
	-- host, mod_presence reads the invitee's own (still unanswered) roster item and sends no
	-- 'subscribed', leaving the invitee waiting. A second 'subscribed' from mod_presence is ignored.
	module:send(st.presence({ type = "subscribed", from = username .. "@" .. host, to = contact }));
	settle(claim, "consume");
	module:log("info", "Contact invite of %s@%s accepted by %s", username, host, contact);
	-- The other half of the mutual subscription: the inviter asks back (the invitee's client pre-approved it, or approves it).
	if not rostermanager.is_user_subscribed(username, host, contact)
		and not rostermanager.is_contact_pending_out(username, host, contact)
		and rostermanager.set_contact_pending_out(username, host, contact) then
		rostermanager.roster_push(username, host, contact);
		module:send(st.presence({ type = "subscribe", from = username .. "@" .. host, to = contact }));
	end
end, 10);
