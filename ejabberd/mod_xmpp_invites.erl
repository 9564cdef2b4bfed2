%%% mod_xmpp_invites: lets this host's own in-band registration redeem the invites of the
%%% xmpp-invites component, so an app that opens xmpp:example.org?register;preauth=TOKEN works.
%%%
%%%   modules:
%%%     mod_xmpp_invites:
%%%       component: invites.example.org
%%%
%%% The app sends the XEP-0401/XEP-0445 preauth IQ and then XEP-0077 registration on its
%%% unauthenticated stream. Each step is checked by the component (urn:xmpp-invites:bridge:0, one
%%% IQ from this host); ejabberd creates the account itself, and the component records the use only
%%% after the account exists. Any refusal is passed on as the component worded it; when the
%%% component cannot be reached, registration fails closed with a 'wait' error. Without a token the
%%% component answers (invite only), so mod_register need not be open, nor loaded.
%%%
%%% Contact invites (XEP-0379): a subscription request to a user of this host that carries the
%%% token of that user's contact invite is approved at once, and answered with a subscription
%%% request back, once the component has reserved a use of the invite. Any token the component
%%% does not accept leaves the request to the normal, manual flow.
%%%
%%% The same protocol as prosody/mod_xmpp_invites.lua; built against the installed ejabberd with
%%% `xmpp-invites ejabberd-module build` (ejabberd 23.01 and 24.12). Only records and calls that
%%% are the same in both are used; stanza payloads are read and written as raw XML elements.
-module(mod_xmpp_invites).

-behaviour(gen_mod).

-export([start/2, stop/1, reload/3, depends/2, mod_opt_type/1, mod_options/1, mod_doc/0]).
-export([c2s_pre_auth_features/2, c2s_unauthenticated_packet/2, disco_local_features/5,
         disco_info/5, roster_in_subscription/2, process_iq/1, decode_iq_subel/1]).
%% The settling process, spawned.
-export([settle/4]).

-include("xmpp.hrl").
-include_lib("kernel/include/logger.hrl").

-define(XI_NS_BRIDGE, <<"urn:xmpp-invites:bridge:0">>).
-define(XI_NS_PARS, <<"urn:xmpp:pars:0">>).
-define(XI_NS_REGISTER, <<"jabber:iq:register">>).
-define(XI_NS_STANZAS, <<"urn:ietf:params:xml:ns:xmpp-stanzas">>).
-define(UNREACHABLE, {<<"wait">>, <<"service-unavailable">>,
                      <<"The invite service is not reachable; please try again later">>}).
%% Retries of a consume or release: 5 s doubling up to 5 min, until the component answers.
-define(RETRY_FIRST_S, 5).
-define(RETRY_MAX_S, 300).

%%% gen_mod

start(Host, _Opts) ->
    ejabberd_hooks:add(c2s_pre_auth_features, Host, ?MODULE, c2s_pre_auth_features, 50),
    %% Before mod_register (50), which would answer registration with its own rules.
    ejabberd_hooks:add(c2s_unauthenticated_packet, Host, ?MODULE, c2s_unauthenticated_packet, 40),
    ejabberd_hooks:add(disco_local_features, Host, ?MODULE, disco_local_features, 50),
    ejabberd_hooks:add(disco_info, Host, ?MODULE, disco_info, 50),
    %% Before ejabberd_sm (20) and mod_roster (50): the approved request is not shown to the user.
    ejabberd_hooks:add(roster_in_subscription, Host, ?MODULE, roster_in_subscription, 10),
    gen_iq_handler:add_iq_handler(ejabberd_local, Host, ?XI_NS_BRIDGE, ?MODULE, process_iq),
    ok.

stop(Host) ->
    ejabberd_hooks:delete(c2s_pre_auth_features, Host, ?MODULE, c2s_pre_auth_features, 50),
    ejabberd_hooks:delete(c2s_unauthenticated_packet, Host, ?MODULE, c2s_unauthenticated_packet, 40),
    ejabberd_hooks:delete(disco_local_features, Host, ?MODULE, disco_local_features, 50),
    ejabberd_hooks:delete(disco_info, Host, ?MODULE, disco_info, 50),
    ejabberd_hooks:delete(roster_in_subscription, Host, ?MODULE, roster_in_subscription, 10),
    gen_iq_handler:remove_iq_handler(ejabberd_local, Host, ?XI_NS_BRIDGE),
    ok.

reload(_Host, _NewOpts, _OldOpts) ->
    ok.

depends(_Host, _Opts) ->
    [{mod_roster, hard}].

mod_opt_type(component) -> econf:domain();
mod_opt_type(timeout) -> econf:pos_int().

%% `component` has no default: ejabberd refuses to start the module without it.
mod_options(_Host) -> [component, {timeout, 10}].

mod_doc() ->
    #{desc => [<<"Lets apps redeem invites of the xmpp-invites component through this host's "
                 "own in-band registration (XEP-0401, XEP-0445, XEP-0077) and approves "
                 "subscription requests carrying a contact invite's token (XEP-0379).">>],
      opts => [{component, #{value => <<"Domain">>,
                             desc => <<"The JID of the xmpp-invites component.">>}},
               {timeout, #{value => <<"Seconds">>,
                           desc => <<"How long to wait for the component's answer.">>}}]}.

component(Host) -> gen_mod:get_module_opt(Host, ?MODULE, component).
timeout_ms(Host) -> gen_mod:get_module_opt(Host, ?MODULE, timeout) * 1000.

%%% What apps and the component look for

%% XEP-0401 0.3.0 and XEP-0445: what apps look for before they send a preauth token. Pre-auth
%% features are only sent on streams that have not logged in; the hook is not told whether the
%% stream is encrypted (starttls_required on the listener is the operator's switch).
c2s_pre_auth_features(Acc, _Host) ->
    [el(<<"register">>, [{<<"xmlns">>, <<"urn:xmpp:invite">>}], []),
     el(<<"register">>, [{<<"xmlns">>, <<"urn:xmpp:ibr-token:0">>}], []) | Acc].

disco_local_features({error, _} = Acc, _From, _To, _Node, _Lang) ->
    Acc;
disco_local_features(Acc, _From, _To, <<>>, _Lang) ->
    Features = case Acc of {result, F} -> F; _ -> [] end,
    case lists:member(?XI_NS_BRIDGE, Features) of
        true -> {result, Features};
        false -> {result, [?XI_NS_BRIDGE | Features]}
    end;
disco_local_features(Acc, _From, _To, _Node, _Lang) ->
    Acc.

%% The form naming the component: how the component learns that apps can redeem its invites here.
%% The same hook answers for users' bare JIDs with (From, To, Node, Lang): left alone.
disco_info(Acc, Host, mod_disco, <<>>, _Lang) when is_binary(Host) ->
    Form = #xdata{type = result,
                  fields = [#xdata_field{var = <<"FORM_TYPE">>, type = hidden, values = [?XI_NS_BRIDGE]},
                            #xdata_field{var = <<"component">>, type = 'jid-single',
                                         values = [component(Host)]}]},
    [Form | Acc];
disco_info(Acc, _, _, _, _) ->
    Acc.

%%% The unauthenticated stream: preauth, then registration

c2s_unauthenticated_packet(#{server := Host} = State, #iq{type = Type, sub_els = [Sub]} = IQ)
  when Type == set; Type == get ->
    El = raw(Sub),
    case {Type, el_ns(El), El#xmlel.name} of
        {set, ?XI_NS_PARS, <<"preauth">>} -> {stop, preauth(State, IQ, El, Host)};
        {get, ?XI_NS_REGISTER, <<"query">>} -> {stop, send(State, register_form(IQ, Host))};
        {set, ?XI_NS_REGISTER, <<"query">>} ->
            case fxml:get_subtag(El, <<"remove">>) of
                false -> {stop, register(State, IQ, El, Host)};
                _ -> State % cancelling an account is not ours: mod_register's, if loaded
            end;
        _ -> State
    end;
c2s_unauthenticated_packet(State, _Pkt) ->
    State.

%% XEP-0401 0.3.0 §5.5 / XEP-0445: the client shows its token before registering.
preauth(State, IQ, El, Host) ->
    Token = fxml:get_tag_attr_s(<<"token">>, El),
    case ask(Host, el(<<"check">>, [{<<"xmlns">>, ?XI_NS_BRIDGE}, {<<"token">>, Token}], [])) of
        {ok, _} -> send(State#{xmpp_invites_token => Token}, result(IQ, Host, []));
        {error, Err} -> send(State, error_reply(IQ, Host, client_error(Host, Err)))
    end.

register_form(IQ, Host) ->
    result(IQ, Host, [el(<<"query">>, [{<<"xmlns">>, ?XI_NS_REGISTER}],
                         [el(<<"instructions">>, [], [{xmlcdata, <<"Choose a username and password to register with this server">>}]),
                          el(<<"username">>, [], []), el(<<"password">>, [], [])])]).

%% XEP-0077 §3.1 with the token shown before: the component decides (policy, invite, username,
%% password) and reserves the use; ejabberd creates the account; the component counts the use.
register(State, IQ, El, Host) ->
    {Username, Password} = fields(El),
    case {jid:nodeprep(Username), Password} of
        {Bad, _} when Bad == error; Bad == <<>> ->
            send(State, error_reply(IQ, Host, {<<"modify">>, <<"not-acceptable">>, <<"The requested username is invalid.">>}));
        {_, <<>>} ->
            send(State, error_reply(IQ, Host, {<<"modify">>, <<"not-acceptable">>, <<"Password: Required value missing">>}));
        {User, _} ->
            Token = maps:get(xmpp_invites_token, State, undefined),
            Reply = claim_and_create(Host, Token, User, Password),
            %% The token is spent or refused: a second registration on this stream shows it again.
            State1 = case Reply of ok -> maps:remove(xmpp_invites_token, State); _ -> State end,
            State2 = send(State1, case Reply of
                                      ok -> result(IQ, Host, []);
                                      {error, Triple} -> error_reply(IQ, Host, Triple)
                                  end),
            %% Logged once the app has its answer, which need not wait for the log line.
            case Reply of
                ok when is_binary(Token) -> ?LOG_INFO("Invite redeemed by ~ts@~ts through in-band registration", [User, Host]);
                _ -> ok
            end,
            State2
    end.

claim_and_create(Host, Token, User, Password) ->
    %% Named here, so the use can be given back even when the component's answer never arrives.
    ClaimId = binary:encode_hex(crypto:strong_rand_bytes(16)),
    Exists = ejabberd_auth:user_exists(User, Host),
    Attrs = [{<<"xmlns">>, ?XI_NS_BRIDGE}, {<<"id">>, ClaimId}, {<<"username">>, User},
             {<<"exists">>, atom_to_binary(Exists, utf8)}]
        ++ [{<<"token">>, Token} || is_binary(Token)],
    Request = el(<<"claim">>, Attrs, [el(<<"password">>, [], [{xmlcdata, Password}])]),
    case ask(Host, Request) of
        {error, Err} ->
            case is_binary(Token) andalso not is_refusal(Err) of
                %% No answer: the component may have reserved the use. Nothing is made: give it back.
                true -> settle_later(Host, release, ClaimId, User);
                false -> ok
            end,
            {error, client_error(Host, Err)};
        {ok, Answer} ->
            case claim_of(Answer) of
                open -> create(Host, User, Password); % open registration: no invite, nothing to settle
                {Id, Action} -> redeem(Host, Id, Action, User, Password)
            end
    end.

claim_of(#xmlel{name = <<"claim">>} = Claim) ->
    case fxml:get_tag_attr_s(<<"id">>, Claim) of
        <<>> -> open;
        Id -> {Id, fxml:get_tag_attr_s(<<"action">>, Claim)}
    end;
claim_of(_) ->
    open.

redeem(Host, Id, <<"reset">>, User, Password) ->
    case ejabberd_auth:user_exists(User, Host) of
        false ->
            %% Deleted while we asked: a reset invite must never create an account.
            settle_later(Host, release, Id, User),
            {error, {<<"cancel">>, <<"item-not-found">>, <<"The account whose password this invite resets does not exist">>}};
        true ->
            finish(Host, Id, User, fun() -> ejabberd_auth:set_password(User, Host, Password) end)
    end;
redeem(Host, Id, _Create, User, Password) ->
    finish(Host, Id, User, fun() -> ejabberd_auth:try_register(User, Host, Password) end).

%% Counts the use once the account exists (or the password is set), gives it back when not.
finish(Host, Id, User, Write) ->
    try Write() of
        ok ->
            settle_later(Host, consume, Id, User),
            ok;
        {error, Why} ->
            settle_later(Host, release, Id, User),
            {error, auth_error(Why)}
    catch Class:Reason ->
            %% The account may or may not exist: the use stays reserved until someone settles it.
            ?LOG_ERROR("Registration of ~ts@~ts failed midway (~p:~p); invite claim ~ts left reserved",
                       [User, Host, Class, Reason, Id]),
            {error, {<<"wait">>, <<"internal-server-error">>, <<"The account could not be created">>}}
    end.

%% Open registration without an invite, when the component's policy allows it.
create(Host, User, Password) ->
    case ejabberd_auth:try_register(User, Host, Password) of
        ok -> ok;
        {error, Why} -> {error, auth_error(Why)}
    end.

%% The same texts as mod_register.
auth_error(exists) -> {<<"cancel">>, <<"conflict">>, <<"The requested username already exists.">>};
auth_error(invalid_jid) -> {<<"modify">>, <<"jid-malformed">>, <<"Malformed username">>};
auth_error(invalid_password) -> {<<"modify">>, <<"not-acceptable">>, <<"Incorrect password">>};
auth_error(not_allowed) -> {<<"cancel">>, <<"not-allowed">>, <<"Not allowed">>};
auth_error(_) -> {<<"wait">>, <<"internal-server-error">>, <<"Database failure">>}.

fields(Query) ->
    case {fxml:get_subtag(Query, <<"username">>), fxml:get_subtag(Query, <<"password">>)} of
        {#xmlel{} = U, #xmlel{} = P} -> {fxml:get_tag_cdata(U), fxml:get_tag_cdata(P)};
        _ -> form_fields(fxml:get_subtag_with_xmlns(Query, <<"x">>, <<"jabber:x:data">>))
    end.

%% XEP-0077 §6 with a data form.
form_fields(#xmlel{} = Form) ->
    Values = [{fxml:get_tag_attr_s(<<"var">>, F), fxml:get_path_s(F, [{elem, <<"value">>}, cdata])}
              || #xmlel{name = <<"field">>} = F <- Form#xmlel.children],
    {proplists:get_value(<<"username">>, Values, <<>>), proplists:get_value(<<"password">>, Values, <<>>)};
form_fields(false) ->
    {<<>>, <<>>}.

%%% XEP-0379: a subscription request carrying a contact invite's token

roster_in_subscription(Acc, #presence{type = subscribe, from = From, to = #jid{luser = User, lserver = Host}} = Pres)
  when User /= <<>> ->
    case preauth_token(Pres) of
        <<>> -> Acc;
        Token ->
            Contact = jid:remove_resource(From),
            case ejabberd_auth:user_exists(User, Host) andalso not approves(User, Host, Contact) of
                true -> contact_invite(Acc, Pres, Token, User, Host, Contact);
                false -> Acc % no such user, or already approved: nothing to spend the invite on
            end
    end;
roster_in_subscription(Acc, _Pres) ->
    Acc.

preauth_token(#presence{sub_els = Els}) ->
    case [T || E <- Els, #xmlel{name = <<"preauth">>} = P <- [raw(E)], el_ns(P) == ?XI_NS_PARS,
               T <- [fxml:get_tag_attr_s(<<"token">>, P)]] of
        [Token | _] -> Token;
        [] -> <<>>
    end.

contact_invite(Acc, Pres, Token, User, Host, Contact) ->
    Inviter = jid:make(User, Host),
    ContactBin = jid:encode(Contact),
    Ask = el(<<"subscribe">>, [{<<"xmlns">>, ?XI_NS_BRIDGE}, {<<"token">>, Token},
                               {<<"inviter">>, jid:encode(Inviter)}, {<<"jid">>, ContactBin}], []),
    case ask(Host, Ask) of
        {error, _} ->
            %% XEP-0379: a token that is not accepted is ignored; the user approves as usual.
            ?LOG_DEBUG("Contact invite token from ~ts to ~ts@~ts not accepted", [ContactBin, User, Host]),
            Acc;
        {ok, Answer} ->
            case fxml:get_tag_attr_s(<<"claim">>, Answer) of
                <<>> ->
                    ?LOG_WARNING("The invite service accepted a contact invite without a claim; left to the user", []),
                    Acc;
                Claim ->
                    approve(Pres, Inviter, Contact, Claim),
                    {stop, false}
            end
    end.

%% The inviter's roster takes the request and approves it (pushed to the inviter's clients), the
%% invitee is told, and the inviter asks back: both rosters end at 'both' once the invitee agrees.
approve(Pres, Inviter, Contact, Claim) ->
    #jid{luser = User, lserver = Host} = Inviter,
    ContactBin = jid:encode(Contact),
    mod_roster:in_subscription(false, Pres),
    mod_roster:out_subscription(#presence{type = subscribed, from = Inviter, to = Contact}),
    case approves(User, Host, Contact) of
        false ->
            ?LOG_ERROR("Could not approve ~ts on the roster of ~ts@~ts; the invite stays usable", [ContactBin, User, Host]),
            settle_later(Host, release, Claim, ContactBin);
        true ->
            ejabberd_router:route(#presence{type = subscribed, from = Inviter, to = Contact}),
            settle_later(Host, consume, Claim, ContactBin),
            ?LOG_INFO("Contact invite of ~ts@~ts accepted by ~ts", [User, Host, ContactBin]),
            case roster_state(User, Host, Contact) of
                {S, A} when S /= to, S /= both, A /= out, A /= both ->
                    mod_roster:out_subscription(#presence{type = subscribe, from = Inviter, to = Contact}),
                    ejabberd_router:route(#presence{type = subscribe, from = Inviter, to = Contact});
                _ -> ok
            end
    end.

roster_state(User, Host, Contact) ->
    {Subscription, Ask, _Groups} =
        ejabberd_hooks:run_fold(roster_get_jid_info, Host, {none, none, []}, [User, Host, Contact]),
    {Subscription, Ask}.

%% Whether the user's roster approves the contact: subscription 'from' or 'both'.
approves(User, Host, Contact) ->
    case roster_state(User, Host, Contact) of
        {S, _} when S == from; S == both -> true;
        _ -> false
    end.

%%% The component asks how a contact claim ended when consume or release never reached it

%% gen_iq_handler decodes with this: the bridge's payload is not known to the xmpp library.
decode_iq_subel(El) -> El.

process_iq(#iq{type = get, from = From, to = #jid{lserver = Host}, sub_els = [Sub]} = IQ) ->
    Query = raw(Sub),
    case From#jid.luser == <<>> andalso From#jid.lserver == jid:nameprep(component(Host)) of
        false -> iq_error(IQ, {<<"auth">>, <<"forbidden">>, <<>>});
        true when Query#xmlel.name /= <<"subscription">> ->
            iq_error(IQ, {<<"cancel">>, <<"feature-not-implemented">>, <<>>});
        true -> subscription_answer(IQ, Query, Host)
    end;
process_iq(#iq{} = IQ) ->
    iq_error(IQ, {<<"cancel">>, <<"feature-not-implemented">>, <<>>}).

subscription_answer(IQ, Query, Host) ->
    Inviter = decode_jid(fxml:get_tag_attr_s(<<"inviter">>, Query)),
    Contact = decode_jid(fxml:get_tag_attr_s(<<"jid">>, Query)),
    case {Inviter, Contact} of
        {#jid{luser = U, lserver = Host}, #jid{}} when U /= <<>> ->
            Approved = approves(U, Host, jid:remove_resource(Contact)),
            xmpp:make_iq_result(IQ, el(<<"subscription">>, [{<<"xmlns">>, ?XI_NS_BRIDGE},
                                                            {<<"approved">>, atom_to_binary(Approved, utf8)}], []));
        _ ->
            iq_error(IQ, {<<"modify">>, <<"bad-request">>, <<"inviter (a user of this host) and jid are required">>})
    end.

decode_jid(Bin) ->
    try jid:decode(Bin) catch _:_ -> error end.

%%% Asking the component

%% One request to the component, from this host's bare domain; waits for the answer in the calling
%% process. {ok, Payload | none} or {error, ErrorElement | timeout}.
ask(Host, Payload) ->
    Ref = make_ref(),
    Timeout = timeout_ms(Host),
    IQ = #iq{type = set, id = <<>>, from = jid:make(Host), to = jid:make(component(Host)), sub_els = [Payload]},
    ejabberd_router:route_iq(IQ, Ref, self(), Timeout),
    receive
        {iq_reply, #iq{type = result, sub_els = Els}, Ref} ->
            {ok, case [raw(E) || E <- Els] of [First | _] -> First; [] -> none end};
        {iq_reply, #iq{type = error} = Reply, Ref} ->
            {error, error_el(Reply)};
        {iq_reply, timeout, Ref} ->
            {error, timeout}
    after Timeout + 5000 ->
            {error, timeout}
    end.

error_el(#iq{sub_els = Els}) ->
    case [E || E0 <- Els, #xmlel{name = <<"error">>} = E <- [raw(E0)]] of
        [Err | _] -> Err;
        [] -> #xmlel{name = <<"error">>}
    end.

%% A refusal by the component carries <refused xmlns='urn:xmpp-invites:bridge:0'/> in its error.
is_refusal(#xmlel{} = Err) -> fxml:get_subtag_with_xmlns(Err, <<"refused">>, ?XI_NS_BRIDGE) /= false;
is_refusal(_) -> false.

%% What the client is told: the component's own words, or "try again later".
client_error(Host, Err) ->
    case is_refusal(Err) of
        true -> triple(Err);
        false ->
            ?LOG_WARNING("The invite service ~ts did not answer: ~ts", [component(Host), describe(Err)]),
            ?UNREACHABLE
    end.

triple(#xmlel{} = Err) ->
    Condition = case [C || #xmlel{name = C} = E <- Err#xmlel.children, C /= <<"text">>, el_ns(E) == ?XI_NS_STANZAS] of
                    [C | _] -> C;
                    [] -> <<"undefined-condition">>
                end,
    Text = case fxml:get_subtag_with_xmlns(Err, <<"text">>, ?XI_NS_STANZAS) of
               false -> <<>>;
               T -> fxml:get_tag_cdata(T)
           end,
    {fxml:get_tag_attr_s(<<"type">>, Err), Condition, Text}.

describe(timeout) -> <<"timeout">>;
describe(Err) ->
    case triple(Err) of
        {_, Condition, <<>>} -> Condition;
        {_, Condition, Text} -> <<Condition/binary, ": ", Text/binary>>
    end.

%% Tells the component how a claim ended, in a process of its own. Retried until it answers:
%% until then the use stays reserved there, so the token cannot be redeemed twice meanwhile.
settle_later(Host, Verb, Claim, Username) ->
    spawn(?MODULE, settle, [Host, Verb, Claim, Username]),
    ok.

settle(Host, Verb, Claim, Username) ->
    settle(Host, Verb, Claim, Username, 1).

settle(Host, Verb, Claim, Username, Attempt) ->
    Request = el(atom_to_binary(Verb, utf8), [{<<"xmlns">>, ?XI_NS_BRIDGE}, {<<"claim">>, Claim}, {<<"username">>, Username}], []),
    case ask(Host, Request) of
        {ok, _} ->
            ?LOG_DEBUG("Invite claim for ~ts: ~ts", [who(Username, Host), Verb]);
        {error, Err} ->
            case is_refusal(Err) of
                true ->
                    ?LOG_WARNING("The invite service refused to ~ts the claim for ~ts: ~ts", [Verb, who(Username, Host), describe(Err)]);
                false ->
                    Delay = min(?RETRY_MAX_S, ?RETRY_FIRST_S bsl (Attempt - 1)),
                    ?LOG_WARNING("Could not ~ts the invite claim for ~ts (~ts); retrying in ~Bs",
                                 [Verb, who(Username, Host), describe(Err), Delay]),
                    timer:sleep(Delay * 1000),
                    settle(Host, Verb, Claim, Username, Attempt + 1)
            end
    end.

%% A registration claim names a localpart of this host, a contact claim the invitee's JID.
who(Username, Host) ->
    case binary:match(Username, <<"@">>) of
        nomatch -> <<Username/binary, "@", Host/binary>>;
        _ -> Username
    end.

%%% Stanzas, as raw elements (the same in every version of the xmpp library)

el(Name, Attrs, Children) -> #xmlel{name = Name, attrs = Attrs, children = Children}.

el_ns(El) -> fxml:get_tag_attr_s(<<"xmlns">>, El).

raw(#xmlel{} = El) -> El;
raw(Record) -> xmpp:encode(Record).

send(State, Pkt) -> ejabberd_c2s:send(State, Pkt).

result(#iq{id = Id, lang = Lang}, Host, Els) ->
    #iq{type = result, id = Id, lang = Lang, from = jid:make(Host), sub_els = Els}.

error_reply(#iq{id = Id, lang = Lang}, Host, Triple) ->
    #iq{type = error, id = Id, lang = Lang, from = jid:make(Host), sub_els = [error_el(Triple, Lang)]}.

iq_error(#iq{id = Id, type = _, from = From, to = To, lang = Lang}, Triple) ->
    #iq{type = error, id = Id, lang = Lang, from = To, to = From, sub_els = [error_el(Triple, Lang)]}.

error_el({Type, Condition, Text}, Lang) ->
    TextEls = case Text of
                  <<>> -> [];
                  _ -> [el(<<"text">>, [{<<"xmlns">>, ?XI_NS_STANZAS}] ++ [{<<"xml:lang">>, Lang} || is_binary(Lang), Lang /= <<>>],
                           [{xmlcdata, Text}])]
              end,
    el(<<"error">>, [{<<"type">>, Type}], [el(Condition, [{<<"xmlns">>, ?XI_NS_STANZAS}], []) | TextEls]).
