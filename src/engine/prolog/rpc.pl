% RPC entry point. Everything crosses the JS boundary as text: the host calls
% zpm:rpc(Op, Args, Reply, Blobs) with an operation name of the op_/3 table and a list of
% strings/integers; Reply is always a JSON document (`{"ok":true,"value":…}` or `{"ok":false,"kind":…,"error":…}`); errors become kinds and
% messages.

% rpc(Op, Args, Reply, Blobs): every string of the reply longer than 64 KiB is written as the
% placeholder {"\u0000":K} and returned as the K-th (from 0) element of Blobs: the host takes a big
% text (a bulk load's record, a dump) as it is, without escaping it into the JSON text and parsing it
% back. Only the reply itself is written so; JSON an operation writes for its own use (query answers)
% is not.
rpc(Op, Args, Reply, Blobs) :-
    catch(run_op(Op, Args, R), E, error_reply(E, R)),
    (   reply_text(R, Reply0, E2), var(E2)
    ->  Reply = Reply0
    ;   error_reply(E2, R2), reply_text(R2, Reply, E3), var(E3)
    ->  true
    ;   clear_records(zpm_blobs),
        Reply = "{\"ok\":false,\"kind\":\"exec\",\"error\":\"the reply could not be encoded\"}"
    ),
    findall(B, recorded(zpm_blobs, B), Blobs),
    clear_records(zpm_blobs).

reply_text(R, Text, E) :-
    clear_records(zpm_blobs), flag(zpm_blobs, _, 0),
    setup_call_cleanup(nb_setval(zpm_blobs, on),
                       catch(json_text(R, Text), E, true),
                       nb_setval(zpm_blobs, off)).

run_op(Op, Args, R) :-
    (   op_(Op, Args, V) -> R = obj([ok-true, value-V])
    ;   R = obj([ok-false, kind-str(exec), error-str("operation failed")])
    ).

error_reply(zpm_error(Kind, Msg), obj([ok-false, kind-str(Kind), error-str(Msg)])) :- !.
error_reply(E, obj([ok-false, kind-str(Kind), error-str(Msg)])) :-
    error_kind(E, Kind), msg_text(E, Msg).

error_kind(error(syntax_error(_), _), syntax) :- !.
error_kind(error(resource_error(_), _), limit) :- !.
error_kind(error(permission_error(call, procedure, _), context(zpm, _)), unsafe) :- !.
error_kind(_, exec).

fail_with(Kind, Fmt, Args) :- format(string(M), Fmt, Args), throw(zpm_error(Kind, M)).

msg_text(E, S) :- ( E == '$aborted' ; E == abort ; E == unwind(abort) ), !,
    S = "resource limit exceeded: the engine ran out of memory (stack limit 512 MB); simplify the goal or add a bound".
msg_text(error(resource_error(R), _), S) :- !,
    (   R == stack -> S = "stack limit exceeded (the query recursed or allocated too deeply)"
    ;   format(string(S), "resource limit exceeded: ~w", [R])
    ).
msg_text(error(permission_error(call, procedure, PI), context(zpm, _)), S) :- !,
    format(string(S), "~q is not allowed: zpm queries and rules must not change the knowledge base, stop the engine, or touch files", [PI]).
msg_text(error(syntax_error(W), stream(_, L, LP, _)), S) :- !,
    ( message_to_codes_(error(syntax_error(W), _), M) -> true ; format(string(M), "~q", [W]) ),
    Col is LP + 1,
    format(string(S), "~w (line ~w, column ~w)", [M, L, Col]).
msg_text(error(syntax_error(W), string(_, _)), S) :- !,
    ( message_to_codes_(error(syntax_error(W), _), S) -> true ; format(string(S), "Syntax error: ~q", [W]) ).
msg_text(E, S) :-
    catch(( message_to_codes_(E, S0) ), _, fail), !, S = S0.
msg_text(E, S) :- format(string(S), "~q", [E]).

message_to_codes_(E, S) :-
    '$messages':translate_message(E, Lines, []),
    with_output_to(string(S0), print_message_lines(current_output, '', Lines)),
    split_string(S0, "", "\n ", [S]).

