/**
 * The Prolog side of the engine: a module `zpm` loaded into every swipl-wasm instance.
 *
 * Everything crosses the JS boundary as text. The host calls `zpm:rpc(Op, Args, Reply)` with an
 * operation name and a list of strings/integers; Reply is always a JSON document produced by the
 * JSON writer below (`{"ok":true,"value":…}` or `{"ok":false,"kind":…,"error":…}`).
 *
 * Mutations never run directly from a tool: an operation is first *planned* inside `snapshot/1`
 * (so it sees its own effects but changes nothing), which yields the journal records it would apply.
 * The host commits those records to the journal and then applies them with `apply`, the very same
 * primitive that replays the journal at boot. Live state and replayed state therefore agree.
 *
 * Kept as a TypeScript string so that `deno compile` embeds it and nothing is read from disk.
 */
export const ZPM_PROLOG = String.raw`
:- module(zpm, [rpc/3]).
:- set_module(base(system)).   % never resolve through 'user', whose dangerous built-ins are blocked
:- use_module(library(sandbox)).
:- use_module(library(lists)).
:- use_module(library(apply)).

:- discontiguous op_/3.
:- dynamic kb_ref/1.          % clause references loaded from .zpm/kb/*.pl (read-only base layer)
:- dynamic baseline/1.        % dynamic predicates of 'user' that belong to the system, not the user
:- dynamic setting/2.         % setting(max_kb_bytes, N)

% ---------------------------------------------------------------------------------------------
% Set-up
% ---------------------------------------------------------------------------------------------

blocked(halt/0). blocked(halt/1).
blocked(assert/1). blocked(asserta/1). blocked(assertz/1). blocked(asserta/2). blocked(assertz/2).
blocked(retract/1). blocked(retractall/1). blocked(abolish/1). blocked(abolish/2). blocked(erase/1).
blocked(recorda/2). blocked(recorda/3). blocked(recordz/2). blocked(recordz/3). blocked(flag/3).
blocked(shell/0). blocked(shell/1). blocked(shell/2).
blocked(consult/1). blocked(load_files/2). blocked(make/0).
blocked(open/3). blocked(open/4). blocked(see/1). blocked(tell/1). blocked(append/1).
blocked(nb_setval/2). blocked(b_setval/2). blocked(set_prolog_flag/2). blocked(op/3).
blocked(set_stream/2). blocked(prolog_load_context/2).
blocked(transaction/1). blocked(snapshot/1). blocked(garbage_collect/0).
blocked(set_prolog_stack/2). blocked(tabling/0).

setup :-
    set_prolog_flag(stack_limit, 536870912),
    forall(blocked(N/A), block(N, A)),
    dynamic(user:zpm_source/2),
    dynamic(user:tms_justification/2),
    forall(( user_dynamic(N/A), \+ memberchk(N/A, [zpm_source/2, tms_justification/2]) ),
           assertz(baseline(N/A))),
    at_halt(cancel_halt('zpm: halt is not allowed')).

% A blocked built-in called from user code (directly or through call/N) throws instead of running.
block(N, A) :-
    functor(H, N, A),
    catch(( redefine_system_predicate(user:H),
            assertz(user:(H :- throw(error(permission_error(call, procedure, N/A),
                                           context(zpm, 'not allowed in zpm knowledge or queries')))))
          ), _, true).

user_dynamic(N/A) :-
    predicate_property(user:H, dynamic),
    \+ predicate_property(user:H, imported_from(_)),
    functor(H, N, A).

% user_pred(-N/A): user knowledge predicates (dynamic, not system, not ours).
user_pred(N/A) :-
    user_dynamic(N/A), \+ baseline(N/A), \+ sub_atom(N, 0, _, _, '$').

% ---------------------------------------------------------------------------------------------
% RPC entry point
% ---------------------------------------------------------------------------------------------

rpc(Op, Args, Reply) :-
    catch(run_op(Op, Args, R), E, error_reply(E, R)),
    (   catch(with_output_to(string(Reply0), json_write(R)), E2, true), var(E2)
    ->  Reply = Reply0
    ;   catch(( error_reply(E2, R2), with_output_to(string(Reply), json_write(R2)) ), _, fail)
    ->  true
    ;   Reply = "{\"ok\":false,\"kind\":\"exec\",\"error\":\"the reply could not be encoded\"}"
    ).

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

% ---------------------------------------------------------------------------------------------
% Parsing user text: exactly one term, trailing '.' optional, user operators, variable names
% ---------------------------------------------------------------------------------------------

% swipl-wasm has no C-stack guard: reading or writing a term nested about 1,000 levels deep
% overflows its C stack, which silently corrupts the instance (it hangs or answers wrongly) before
% it traps. Tool input is therefore refused well below that depth; list tails do not count.
max_nesting(256).

parse_one(Text, T, VNs) :-
    (   sub_string(Text, _, 1, _, "\x0\")
    ->  fail_with(syntax, "the text contains a NUL character (U+0000), which zpm does not accept", [])
    ;   true
    ),
    check_nesting(Text),
    parse_text(Text, T, VNs),
    check_depth(T).

% parse_text(+Text, -T, -VNs): parse_one without its checks (journal replay, whose records were
% accepted by parse_one).
parse_text(Text, T, VNs) :-
    split_string(Text, "", " \t\r\n", [Trim]),
    (   Trim == "" -> fail_with(syntax, "empty input: expected one Prolog term", []) ; true ),
    (   sub_string(Trim, _, 1, 0, ".") -> string_concat(Trim, "\n", Src)
    ;   string_concat(Trim, " .\n", Src)
    ),
    setup_call_cleanup(
        open_string(Src, In),
        ( read_term(In, T, [variable_names(VNs), syntax_errors(error), module(user)]),
          catch(read_term(In, Rest, [syntax_errors(error), module(user)]), _, Rest = '$more') ),
        close(In)),
    (   T == end_of_file -> fail_with(syntax, "empty input: expected one Prolog term", []) ; true ),
    (   Rest == end_of_file -> true
    ;   fail_with(syntax, "expected exactly one Prolog term, but more text follows it", [])
    ).

% check_nesting(+Text): brackets outside quotes and comments nest at most max_nesting/1 deep
% (checked before reading, because the reader itself overflows).
check_nesting(Text) :-
    max_nesting(Max),
    split_string(Text, "([{", "", Parts),
    length(Parts, N),
    (   N =< Max + 1 -> true
    ;   string_codes(Text, Cs), nest_scan(Cs, 0, Max) -> true
    ;   too_deep(Max)
    ).

nest_scan([], _, _).
nest_scan([C|Cs], D, Max) :- nest_step(C, Cs, D, Max).

nest_step(0'%, Cs, D, Max) :- !, skip_line(Cs, Rest), nest_scan(Rest, D, Max).
nest_step(0'/, [0'*|Cs], D, Max) :- !, skip_block(Cs, Rest), nest_scan(Rest, D, Max).
nest_step(0'0, [0'\'|Cs], D, Max) :- !, skip_char_code(Cs, Rest), nest_scan(Rest, D, Max).
nest_step(39, Cs, D, Max) :- !, skip_quoted(Cs, 39, Rest), nest_scan(Rest, D, Max).
nest_step(34, Cs, D, Max) :- !, skip_quoted(Cs, 34, Rest), nest_scan(Rest, D, Max).
nest_step(96, Cs, D, Max) :- !, skip_quoted(Cs, 96, Rest), nest_scan(Rest, D, Max).
nest_step(0'(, Cs, D, Max) :- !, D < Max, D1 is D + 1, nest_scan(Cs, D1, Max).
nest_step(0'[, Cs, D, Max) :- !, D < Max, D1 is D + 1, nest_scan(Cs, D1, Max).
nest_step(0'{, Cs, D, Max) :- !, D < Max, D1 is D + 1, nest_scan(Cs, D1, Max).
nest_step(0'), Cs, D, Max) :- !, D1 is max(0, D - 1), nest_scan(Cs, D1, Max).
nest_step(0'], Cs, D, Max) :- !, D1 is max(0, D - 1), nest_scan(Cs, D1, Max).
nest_step(0'}, Cs, D, Max) :- !, D1 is max(0, D - 1), nest_scan(Cs, D1, Max).
nest_step(_, Cs, D, Max) :- nest_scan(Cs, D, Max).

skip_line([], []).
skip_line([C|Cs], R) :- ( C =:= 10 -> R = Cs ; skip_line(Cs, R) ).
skip_block([], []).
skip_block([0'*, 0'/|Cs], Cs) :- !.
skip_block([_|Cs], R) :- skip_block(Cs, R).
skip_char_code([0'\\, _|Cs], Cs) :- !.
skip_char_code([0'\', 0'\'|Cs], Cs) :- !.
skip_char_code([_|Cs], Cs) :- !.
skip_char_code([], []).
skip_quoted([], _, []).
skip_quoted([0'\\, _|Cs], Q, R) :- !, skip_quoted(Cs, Q, R).
skip_quoted([Q, Q|Cs], Q, R) :- !, skip_quoted(Cs, Q, R).
skip_quoted([Q|Cs], Q, Cs) :- !.
skip_quoted([_|Cs], Q, R) :- skip_quoted(Cs, Q, R).

% check_depth(+T): compound terms nest at most max_nesting/1 deep (operator chains such as
% 1+1+...+1 have no brackets); the tail of a list does not count, so lists may be of any length.
check_depth(T) :- max_nesting(Max), ( depth_within(T, Max) -> true ; too_deep(Max) ).

depth_within(T, _) :- \+ compound(T), !.
depth_within(_, 0) :- !, fail.
depth_within([H|T], D) :- !, D1 is D - 1, depth_within(H, D1), depth_within(T, D).
depth_within(T, D) :- D1 is D - 1, forall(arg(_, T, A), depth_within(A, D1)).

too_deep(Max) :-
    fail_with(syntax, "the term is nested more than ~d levels deep, which zpm does not accept (a list may be of any length)", [Max]).

% clause_parts(+Clause, -Head, -Body): validate a clause (fact or rule).
clause_parts(C, _, _) :- var(C), !, fail_with(syntax, "a clause must not be a variable", []).
clause_parts((:- _), _, _) :- !, fail_with(syntax, "directives (:- Goal) are not accepted as knowledge", []).
clause_parts((?- _), _, _) :- !, fail_with(syntax, "queries (?- Goal) are not accepted as knowledge", []).
clause_parts((_ --> _), _, _) :- !, fail_with(syntax, "grammar rules (-->) are not accepted; define the rule with :-", []).
clause_parts((H :- B), H, B) :- !, check_head(H), check_body(B).
clause_parts(H, H, true) :- check_head(H).

check_head(H) :- var(H), !, fail_with(syntax, "the head of a clause must not be a variable", []).
check_head(H) :- \+ callable(H), !, fail_with(syntax, "~q is not a valid fact or clause head (it must be an atom or a compound term)", [H]).
check_head(H) :- control(H), !, functor(H, N, A), fail_with(syntax, "~q cannot be a clause head (it is a control construct)", [N/A]).
check_head(_:_) :- !, fail_with(syntax, "module-qualified clauses are not supported", []).
check_head(H) :- functor(H, N, A), sub_atom(N, 0, _, _, '$'), !,
    fail_with(syntax, "~q: predicate names starting with $ are reserved for the system", [N/A]).
check_head(H) :- functor(H, N, A), max_arity(Max), A > Max, !,
    fail_with(syntax, "~q has more arguments than a predicate may have (at most ~d)", [N/A, Max]).
check_head(H) :- clause_syntax(H), !, functor(H, N, A), fail_with(syntax, "~q cannot be a clause head (write the rule as Head :- Body)", [N/A]).
check_head(H) :-
    functor(H, N, A),
    (   predicate_property(user:H, built_in) -> true
    ;   predicate_property(system:H, defined), \+ predicate_property(user:H, dynamic)
    ;   blocked(N/A)
    ), !,
    fail_with(exec, "~q is a built-in predicate and cannot be redefined", [N/A]).
check_head(_).

max_arity(Max) :- catch(current_prolog_flag(max_procedure_arity, Max), _, fail), !.
max_arity(1024).

control((_,_)). control((_;_)). control((_->_)). control((_*->_)). control(\+ _). control(!).

clause_syntax((_ :- _)). clause_syntax((:- _)). clause_syntax((?- _)). clause_syntax((_ --> _)).

% ---------------------------------------------------------------------------------------------
% Safety: goals run by read tools and bodies of rules must be side-effect free
% ---------------------------------------------------------------------------------------------

check_body(B) :- safe_walk(B, 0).

safe_walk(G, _) :- var(G), !.
safe_walk(_, D) :- D > 2000, !, fail_with(unsafe, "goal is nested too deeply to check", []).
safe_walk(M:G, D) :- !,
    (   M == user -> D1 is D + 1, safe_walk(G, D1)
    ;   fail_with(unsafe, "module-qualified goals (~q:...) are not allowed", [M])
    ).
safe_walk(G, _) :- \+ callable(G), !, fail_with(exec, "~q is not callable", [G]).
safe_walk(G, D) :-
    functor(G, N, A),
    (   blocked(N/A) -> unsafe(N/A)
    ;   denied(N/A) -> unsafe(N/A)
    ;   user_defined_or_unknown(G) -> true
    ;   meta_spec_of(G, _) -> true               % its meta-arguments are walked below
    ;   catch(sandbox:safe_goal(user:G), E, true),
        (   var(E) -> true
        ;   E = error(existence_error(procedure, _), _) -> true
        ;   unsafe(N/A)
        )
    ),
    D1 is D + 1,
    meta_args(G, D1).

unsafe(PI) :-
    format(string(M), "~q is not allowed: zpm queries and rules must not change the knowledge base, stop the engine, or touch files", [PI]),
    throw(zpm_error(unsafe, M)).

denied(N/_) :- sub_atom(N, 0, _, _, '$'), !.
denied(PI) :- memberchk(PI, [ '.'/2, thread_create/3, thread_create/2, tnot/1, abolish_all_tables/0,
                              read/1, read_term/2, read_term/3, get_char/1, get_char/2 ]).

user_defined_or_unknown(G) :-
    (   predicate_property(user:G, dynamic) -> true
    ;   \+ predicate_property(user:G, defined)
    ).

% Walk into meta-arguments (call/N, findall/3, forall/2, \+, ;, ->, …).
meta_args(G, D) :-
    meta_spec_of(G, Spec), !,
    G =.. [_|Args], Spec =.. [_|Specs],
    forall(( nth1(I, Specs, S), meta_spec(S) ), ( nth1(I, Args, Arg), strip_hat(Arg, Arg1), safe_walk(Arg1, D) )).
meta_args(_, _).

meta_spec_of(G, Spec) :- control_spec(G, Spec), !.
meta_spec_of(G, Spec) :-
    predicate_property(system:G, meta_predicate(Spec)),
    predicate_property(system:G, iso) -> true
    ;   predicate_property(system:G, meta_predicate(Spec)),
        functor(G, N, A), safe_meta(N/A).

% Meta built-ins whose only risk lies in the goals they call (which are walked).
safe_meta(PI) :- memberchk(PI, [call/1, call/2, call/3, call/4, call/5, call/6, call/7, call/8,
    findall/3, findall/4, findnsols/4, findnsols/5, forall/2, aggregate_all/3, aggregate_all/4,
    bagof/3, setof/3, once/1, ignore/1, catch/3, (\+)/1, not/1, call_cleanup/2, setup_call_cleanup/3,
    foldl/4, foldl/5, foldl/6, maplist/2, maplist/3, maplist/4, maplist/5, include/3, exclude/3,
    partition/4, limit/2, offset/2, order_by/2, distinct/1, distinct/2, call_with_depth_limit/3,
    call_with_inference_limit/3, apply/2, (^)/2, with_output_to/2, format/3, phrase/2, phrase/3]).

control_spec((_,_), ','(0,0)). control_spec((_;_), ;(0,0)). control_spec((_->_), ->(0,0)).
control_spec((_*->_), *->(0,0)). control_spec(\+ _, \+(0)).

meta_spec(S) :- integer(S). meta_spec(^).
strip_hat(G, G) :- var(G), !.
strip_hat(_^G0, G) :- !, strip_hat(G0, G).
strip_hat(G, G).

% ---------------------------------------------------------------------------------------------
% Rendering terms as text (journal records, snapshots, tool output)
% ---------------------------------------------------------------------------------------------

% canon(+Term, -String): quoted text that reads back as a variant of Term.
canon(T, S) :-
    copy_term(T, C),
    term_variables(C, Vs),
    name_vars(Vs, 0, Names),
    format(string(S), "~W", [C, [quoted(true), variable_names(Names), spacing(next_argument)]]).

name_vars([], _, []).
name_vars([V|Vs], I, [N=V|Ns]) :-
    L is 0'A + I mod 26, K is I // 26,
    (   K =:= 0 -> format(atom(N), "~c", [L]) ; format(atom(N), "~c~d", [L, K]) ),
    I1 is I + 1, name_vars(Vs, I1, Ns).

clause_term(H, true, H) :- !.
clause_term(H, B, (H :- B)).

% ---------------------------------------------------------------------------------------------
% Primitive records: the only way knowledge changes (journal replay uses the same code)
% ---------------------------------------------------------------------------------------------

% exec(+Op, +Clause, -Affected)
exec(assert, C, 1) :-
    clause_parts_raw(C, H, B),
    ensure_dynamic(H),
    assertz(user:(H :- B)).
exec(retract, C, N) :-
    clause_parts_raw(C, H, B),
    (   user_clause(H, B, Ref, variant) -> erase(Ref), N = 1
    ;   user_clause(H, B, Ref, unify) -> erase(Ref), N = 1
    ;   N = 0
    ).
exec(retractall, H, N) :-
    (   callable(H), \+ control(H) -> true ; fail_with(syntax, "~q is not a valid head pattern", [H]) ),
    (   predicate_property(user:H, dynamic), \+ guarded(H)
    ->  findall(Ref, ( clause(user:H, _, Ref), \+ kb_ref(Ref) ), Refs),
        maplist(erase, Refs), length(Refs, N)
    ;   N = 0
    ).

clause_parts_raw((H :- B), H, B) :- !.
clause_parts_raw(H, H, true).

% guarded(+Head): a blocked built-in whose guard clause (see block/2) must never be retracted.
guarded(H) :- callable(H), functor(H, N, A), blocked(N/A).

ensure_dynamic(H) :-
    (   predicate_property(user:H, dynamic) -> true
    ;   functor(H, N, A), dynamic(user:N/A)
    ).

% user_clause(?H, ?B, -Ref, +Mode): first non-kb clause that is a variant of (H:-B), or unifies.
user_clause(H, B, Ref, Mode) :-
    \+ guarded(H),
    predicate_property(user:H, dynamic),
    copy_term(H-B, H0-B0),
    clause(user:H0, B1, Ref),
    \+ kb_ref(Ref),
    (   Mode == variant -> clause(user:HC, B1, Ref), (HC :- B1) =@= (H :- B)
    ;   H0 = H, B1 = B
    ), !.

% apply_text(+Op, +Text, -N): apply one journal record given as text.
apply_text(Op, Text, N) :-
    parse_text(Text, T, _),
    exec(Op, T, N).

% ---------------------------------------------------------------------------------------------
% Planning: run a tool's mutation inside snapshot/1 and collect the records it applied
% ---------------------------------------------------------------------------------------------

% Records go to the recorded database: appending is O(1) and survives backtracking (forall/2).
emit(Op, T, N) :-
    exec(Op, T, N),
    canon(T, S),
    recordz(zpm_records, rec(Op, S)).

plan(Goal, Records, Result) :-
    clear_records,
    snapshot(( call(Goal, Result0), findall(R, recorded(zpm_records, R), Records) )),
    clear_records,
    Result = Result0.

clear_records :- forall(recorded(zpm_records, _, Ref), erase(Ref)).

% The size is measured on every 32nd planned change (measuring walks every predicate).
check_capacity :-
    flag(zpm_capacity_tick, N, N + 1),
    N mod 32 =\= 0, !.
check_capacity :-
    setting(max_kb_bytes, Max), !,
    kb_bytes(Used),
    (   Used =< Max -> true
    ;   MB is Max // 1048576,
        fail_with(limit, "knowledge base size limit (~d MB) reached; forget facts or raise ZPM_MAX_KB_MB", [MB])
    ).
check_capacity.

% kb_bytes(-Bytes): memory held by the clauses of user predicates.
kb_bytes(B) :-
    aggregate_all(sum(S), ( user_pred(N/A), functor(H, N, A), predicate_property(user:H, size(S)) ), B).

records_json(Records, arr(Js)) :-
    findall(obj([op-str(Op), clause-str(S)]), member(rec(Op, S), Records), Js).

plan_reply(Goal, obj([records-RJ, result-Res])) :-
    plan(Goal, Records, Res),
    records_json(Records, RJ).

% ---- tool mutations -------------------------------------------------------------------------

% remember(+Text): assert a clause and its interactive source.
t_remember(Text, obj([clause-str(S)])) :-
    check_capacity,
    parse_one(Text, C0, _), clause_parts(C0, H, B), clause_term(H, B, C),
    emit(assert, C, _),
    canon(C, S),
    add_source(C, interactive).

% add_source(+C, +Src), called right after C was asserted: the source record is added once. When
% the copy just asserted is the only one (found through C's own, indexed predicate), no record can
% exist yet and the slower scan of zpm_source/2 is skipped.
add_source(C, Src) :-
    (   \+ second_copy(C) -> emit(assert, zpm_source(C, Src), _)
    ;   copy_term(C, C1), clause(user:zpm_source(C1, Src), true), C1 =@= C -> true
    ;   emit(assert, zpm_source(C, Src), _)
    ).

second_copy(C) :-
    clause_parts_raw(C, H, B), copy_term(H-B, H2-B2),
    aggregate_all(count, ( clause(user:H2, B2, R), clause(user:H1, B1, R), (H1 :- B1) =@= (H :- B) ), N),
    N > 1.

t_define_rule(HeadText, BodyText, obj([clause-str(S)])) :-
    check_capacity,
    parse_one(HeadText, H, VH), parse_one(BodyText, B, VB),
    share_vars(VB, VH),
    clause_parts((H :- B), H1, B1),
    emit(assert, (H1 :- B1), _),
    canon((H1 :- B1), S),
    add_source((H1 :- B1), interactive).

share_vars([], _).
share_vars([N=V|T], VH) :- ( memberchk(N=V0, VH) -> V = V0 ; true ), share_vars(T, VH).

% forget(+Text): retract the first matching clause; drop its links when no copy remains.
t_forget(Text, obj([found-Found, clause-str(S)])) :-
    parse_one(Text, C0, _), clause_parts_raw(C0, H, B),
    (   user_clause(H, B, Ref, unify)
    ->  clause(user:H1, B1, Ref), clause_term(H1, B1, C),
        emit(retract, C, _), drop_links_if_gone(C), Found = true, canon(C, S)
    ;   Found = false, S = ""
    ).

% drop_links_if_gone(+C): remove zpm_source/tms_justification records of C when no copy of C is left.
drop_links_if_gone(C) :-
    clause_parts_raw(C, H, B),
    (   predicate_property(user:H, dynamic), copy_term(H-B, H2-B2),
        clause(user:H2, B2, R), clause(user:H1, B1, R), (H1 :- B1) =@= (H :- B)
    ->  true
    ;   forall(( copy_term(C, F), clause(user:zpm_source(F, Src), true), F =@= C ),
               emit(retract, zpm_source(F, Src), _)),
        forall(( copy_term(C, F), clause(user:tms_justification(F, A), true), F =@= C ),
               emit(retract, tms_justification(F, A), _))
    ).

% clear(+Pattern): retractall, then drop links of every clause that went away.
t_clear(Text, obj([removed-num(N), pattern-str(S)])) :-
    parse_one(Text, H, _),
    (   var(H) -> fail_with(syntax, "the category must be a term pattern such as project(beta, _), not a variable", []) ; true ),
    (   H = _:_ -> fail_with(syntax, "module-qualified patterns are not supported", []) ; true ),
    (   callable(H), \+ control(H) -> true ; fail_with(syntax, "~q is not a valid pattern", [H]) ),
    (   guarded(H) -> functor(H, GN, GA), fail_with(exec, "~q is a built-in predicate and cannot be cleared", [GN/GA]) ; true ),
    findall(C, ( predicate_property(user:H, dynamic), clause(user:H, B, Ref), \+ kb_ref(Ref),
                 clause(user:H1, B, Ref), clause_term(H1, B, C) ), Removed),
    emit(retractall, H, N),
    canon(H, S),
    dedup_variants(Removed, Distinct),
    forall(member(C, Distinct), drop_links_if_gone(C)).

dedup_variants([], []).
dedup_variants([X|Xs], [X|Ys]) :- exclude(=@=(X), Xs, Rest), dedup_variants(Rest, Ys).

% update(+Old, +New): atomic replace of the first clause matching Old by the fact New.
t_update(OldText, NewText, obj([found-Found, old-str(SO), new-str(SN)])) :-
    check_capacity,
    parse_one(NewText, N0, _), clause_parts(N0, NH, NB),
    (   NB \== true -> fail_with(syntax, "new_fact must not contain rule syntax", []) ; true ),
    parse_one(OldText, O0, _), clause_parts_raw(O0, OH, OB),
    canon(NH, SN),
    (   user_clause(OH, OB, Ref, unify)
    ->  clause(user:H1, B1, Ref), clause_term(H1, B1, C),
        emit(retract, C, _), drop_links_if_gone(C), emit(assert, NH, _),
        Found = true, canon(C, SO)
    ;   Found = false, SO = ""
    ).

% upsert(+Fact): replace every fact with the same functor, arity and first argument.
t_upsert(Text, obj([removed-num(N), pattern-str(SP), clause-str(S)])) :-
    check_capacity,
    parse_one(Text, F0, _), clause_parts(F0, H, B),
    (   B \== true -> fail_with(syntax, "fact must not contain rule syntax", []) ; true ),
    functor(H, Name, Ar),
    functor(P, Name, Ar),
    (   Ar > 0 -> arg(1, H, A1), arg(1, P, A1) ; true ),
    findall(C, ( predicate_property(user:P, dynamic), clause(user:P, true, Ref), \+ kb_ref(Ref),
                 clause(user:C, true, Ref) ), Removed),
    emit(retractall, P, N),
    dedup_variants(Removed, Distinct),
    forall(member(C, Distinct), drop_links_if_gone(C)),
    emit(assert, H, _),
    canon(P, SP), canon(H, S).

% ---------------------------------------------------------------------------------------------
% Queries
% ---------------------------------------------------------------------------------------------

% run_goal(+Goal, +VNs, +Limit, +InfLimit, -Sols, -Truncated): read-only, bounded.
run_goal(Goal, VNs, Limit, InfLimit, Sols, Truncated) :-
    safe_walk(Goal, 0),
    Lim1 is Limit + 1,
    catch(call_with_inference_limit(
              snapshot(findnsols_once(Lim1, VNs, user:Goal, Sols0)), InfLimit, R),
          error(existence_error(procedure, PI), _),
          unknown_proc(PI, R, Sols0)),
    (   R == inference_limit_exceeded
    ->  fail_with(limit, "inference limit (~d) exceeded: the query ran too long; simplify it or add a bound", [InfLimit])
    ;   true
    ),
    length(Sols0, Len),
    (   Len > Limit -> Truncated = true, length(Sols, Limit), append(Sols, _, Sols0)
    ;   Truncated = false, Sols = Sols0
    ).

% An unknown user predicate simply has no solutions (as upstream zpm); unknown built-ins are errors.
unknown_proc(PI, !, []) :- PI \= _:_, !.
unknown_proc(_:PI, !, []) :- !.
unknown_proc(PI, _, _) :- throw(error(existence_error(procedure, PI), _)).

findnsols_once(N, T, G, L) :- findnsols(N, T, G, L), !.

t_query(Text, Limit, InfLimit, obj([solutions-str(J), count-num(Len), truncated-TF])) :-
    parse_one(Text, Goal, VNs),
    run_goal(Goal, VNs, Limit, InfLimit, Sols, Truncated),
    length(Sols, Len),
    maplist(solution_json, Sols, Objs),
    with_output_to(string(J), json_write(arr(Objs))),
    TF = Truncated.

solution_json(Sol0, obj(Pairs)) :-
    copy_term(Sol0, Sol),
    name_bound(Sol),
    term_variables(Sol, Fresh), name_fresh(Fresh, 0),
    findall(N-J, ( member(N=V, Sol), binding_json(V, J) ), Pairs).

% name_bound(+Bindings): an unbound query variable stands for its own name (kept, unlike forall/2).
name_bound([]).
name_bound([N=V|T]) :- ( var(V) -> V = '$zpm_var'(N) ; true ), name_bound(T).

% binding_json(+Value, -Json): cyclic values are checked once here, not at every nesting level.
binding_json(V, str(S)) :- cyclic_term(V), !, format(string(S), "~W", [V, [quoted(true), max_depth(20)]]).
binding_json(V, J) :- value_json(V, J).

name_fresh([], _).
name_fresh([V|Vs], I) :- format(atom(N), "_G~d", [I]), V = '$zpm_var'(N), I1 is I + 1, name_fresh(Vs, I1).

value_json('$zpm_var'(N), str(N)) :- atom(N), !.
value_json(V, num(V)) :- integer(V), !.
value_json(V, J) :- float(V), !, ( float_class(V, C), memberchk(C, [infinite, nan]) -> format(string(S), "~w", [V]), J = str(S) ; J = num(V) ).
value_json(V, str(S)) :- rational(V), !, format(string(S), "~w", [V]).
value_json(V, str(V)) :- atom(V), !.
value_json(V, str(V)) :- string(V), !.
value_json([], arr([])) :- !.
value_json(V, arr(Js)) :- is_list(V), !, maplist(value_json, V, Js).
value_json(V, obj([functor-str(F), args-arr(Js)])) :- compound(V), !, compound_name_arguments(V, F, As), maplist(value_json, As, Js).
value_json(V, str(S)) :- format(string(S), "~q", [V]).

% trace_dependency: path(X, Start) bindings (atoms and numbers only).
t_trace(Start, Limit, InfLimit, arr(Js)) :-
    run_goal(path(X, Start), ['X'=X], Limit, InfLimit, Sols, _),
    findall(J, ( member(['X'=V], Sols), ( atom(V) -> J = str(V) ; number(V) -> J = num(V) ) ), Js).

% verify_consistency: integrity_violation[_Scope](X), rendered compactly.
t_verify(Scope, Limit, InfLimit, obj([violations-arr(Js)])) :-
    (   Scope == "" -> Name = integrity_violation ; atomic_list_concat([integrity_violation, Scope], '_', Name) ),
    G =.. [Name, X],
    (   predicate_property(user:G, defined)
    ->  run_goal(G, ['X'=X], Limit, InfLimit, Sols, _),
        findall(str(S), ( member(['X'=V], Sols), format(string(S), "~w", [V]) ), Js)
    ;   Js = []
    ).

% explain_why: proof tree of the first proof, every reported child checked.
t_explain(Text, MaxDepth, InfLimit, Node) :-
    parse_one(Text, G, _),
    safe_walk(G, 0),
    split_string(Text, "", " \t\r\n.", [Root]),
    catch(call_with_inference_limit(snapshot(explain_root(G, Root, MaxDepth, Node0)), InfLimit, R),
          error(existence_error(procedure, _), _), (Node0 = obj([goal-str(Root), proven-false, children-arr([])]), R = true)),
    (   R == inference_limit_exceeded
    ->  fail_with(limit, "inference limit (~d) exceeded while building the proof tree", [InfLimit])
    ;   Node = Node0
    ).

explain_root(G, Root, Max, Node) :-
    (   once(user:G)
    ->  explain_children(G, 0, Max, Kids, Trunc), node(str(Root), true, Kids, Trunc, Node)
    ;   Node = obj([goal-str(Root), proven-false, children-arr([])])
    ).

node(Goal, Proven, Kids, Trunc, obj(Pairs)) :-
    Base = [goal-Goal, proven-Proven, children-arr(Kids)],
    (   Trunc == true -> append(Base, [truncated-true], Pairs) ; Pairs = Base ).

explain_children(_, Depth, Max, [], true) :- Depth >= Max, !.
explain_children(G, Depth, Max, Kids, false) :-
    (   callable(G), predicate_property(user:G, dynamic),
        clause(user:G, Body), Body \== true, once(user:Body)
    ->  conjuncts(Body, Cs),
        D1 is Depth + 1,
        findall(K, ( member(C, Cs), C \== true, explain_child(C, D1, Max, K) ), Kids)
    ;   Kids = []
    ), !.
explain_children(_, _, _, [], false).

explain_child(C, Depth, Max, Node) :-
    canon(C, S),
    (   catch(once(user:C), _, fail)
    ->  explain_children(C, Depth, Max, Kids, Trunc), node(str(S), true, Kids, Trunc, Node)
    ;   node(str(S), false, [], false, Node)
    ).

conjuncts(V, [V]) :- var(V), !.
conjuncts((A, B), Cs) :- !, conjuncts(A, CA), conjuncts(B, CB), append(CA, CB, Cs).
conjuncts(G, [G]).

% get_knowledge_schema: every user predicate that has clauses, sorted.
t_schema(obj([predicates-arr(Ps), total-num(N)])) :-
    findall(Name/Ar, ( user_pred(Name/Ar), \+ memberchk(Name, [tms_justification, zpm_source]),
                       atom_codes(Name, [C0|_]), code_type(C0, lower),
                       forall(sub_atom(Name, _, 1, _, Ch), ( char_type(Ch, alnum) ; Ch == '_' )) ), PIs0),
    sort(PIs0, PIs),
    findall(obj([name-str(Name), arity-num(Ar), type-str(Type), count-num(All)]),
            ( member(Name/Ar, PIs), functor(H, Name, Ar),
              predicate_property(user:H, number_of_clauses(All)), All > 0,
              ( predicate_property(user:H, number_of_rules(Rules)) -> true ; Rules = 0 ),
              Facts is All - Rules,
              ( Facts > 0, Rules > 0 -> Type = both ; Rules > 0 -> Type = rule ; Type = fact ) ),
            Ps),
    length(Ps, N).

% ---------------------------------------------------------------------------------------------
% Loading text: kb files (base layer) and snapshots (replace all user knowledge)
% ---------------------------------------------------------------------------------------------

% consult_kb(+Text, +Label): load a user file clause by clause; errors are reported per clause.
t_consult_kb(Text, Label, obj([added-num(N), errors-arr(Es)])) :-
    setup_call_cleanup(open_string(Text, In), kb_loop(In, Label, 0, N, Es0), close(In)),
    findall(str(E), member(E, Es0), Es).

kb_loop(In, Label, N0, N, Errs) :-
    stream_property(In, position(Pos)), stream_position_data(line_count, Pos, Line),
    catch(read_term(In, T, [syntax_errors(error), module(user), term_position(TP)]), E, true),
    (   nonvar(E)
    ->  error_line(E, Line, L), syntax_msg(E, M),
        format(string(Msg), "~w:~w: ~w", [Label, L, M]),
        Errs = [Msg|Errs1], kb_loop(In, Label, N0, N, Errs1)
    ;   T == end_of_file -> N = N0, Errs = []
    ;   ( nonvar(TP), stream_position_data(line_count, TP, L) -> true ; arg(1, TP, _) -> L = Line ; L = Line ),
        catch(( kb_term(T), Ok = true ), E2, true),
        (   Ok == true -> ( T = (:- _) -> N1 = N0 ; N1 is N0 + 1 ), Errs = Errs1
        ;   msg_of(E2, M), format(string(Msg), "~w:~w: ~w", [Label, L, M]), N1 = N0, Errs = [Msg|Errs1]
        ),
        kb_loop(In, Label, N1, N, Errs1)
    ).

syntax_msg(error(syntax_error(W), stream(_, _, LP, _)), M) :- !,
    ( message_to_codes_(error(syntax_error(W), _), M0) -> true ; format(string(M0), "~q", [W]) ),
    Col is LP + 1, format(string(M), "~w (column ~w)", [M0, Col]).
syntax_msg(E, M) :- msg_text(E, M0), first_line(M0, M).

error_line(error(_, stream(_, L, _, _)), _, L) :- !.
error_line(_, L, L).
first_line(M, L) :- split_string(M, "\n", "", [L|_]).
msg_of(zpm_error(_, M), M) :- !.
msg_of(E, M) :- msg_text(E, M0), first_line(M0, M).

kb_term((:- D)) :- !, kb_directive(D).
kb_term(T) :-
    expand_term(T, X0), ( is_list(X0) -> Cs = X0 ; Cs = [X0] ),
    forall(member(C, Cs), kb_clause(C)).

kb_clause((:- D)) :- !, kb_directive(D).
kb_clause(C) :-
    clause_parts(C, H, B),
    ensure_dynamic(H),
    assertz(user:(H :- B), Ref),
    assertz(kb_ref(Ref)).

kb_directive(dynamic(Spec)) :- !, dynamic(user:Spec).
kb_directive(discontiguous(_)) :- !.
kb_directive(module(_, _)) :- !.
kb_directive(ensure_loaded(library(L))) :- !, use_module(user:library(L)).
kb_directive(use_module(library(L))) :- !, use_module(user:library(L)).
kb_directive(use_module(library(L), Is)) :- !, use_module(user:library(L), Is).
kb_directive(op(P, T, N)) :- !, op(P, T, user:N).
kb_directive(set_prolog_flag(double_quotes, V)) :- !, set_prolog_flag(user:double_quotes, V).
kb_directive(D) :- fail_with(unsafe, "directive ~q is not supported in knowledge files (allowed: dynamic, discontiguous, use_module/ensure_loaded of libraries, op/3)", [D]).

% dump: all non-kb user knowledge as consultable source.
t_dump(str(Text)) :-
    with_output_to(string(Text),
      forall(( user_pred(N/A), functor(H, N, A) ),
             ( format(":- dynamic(~q).~n", [N/A]),
               forall(( clause(user:H, B, Ref), \+ kb_ref(Ref) ), write_clause(H, B)) ))).

write_clause(H, B) :-
    clause_term(H, B, C), canon(C, S),
    (   sub_string(S, _, 1, 0, Last), symbol_char(Last) -> Sep = " ." ; Sep = "." ),
    format("~s~w~n", [S, Sep]).

symbol_char(C) :- sub_atom('#$&*+-./:<=>?@^~\\', _, 1, _, C).

% load_snapshot(+Text): parse everything first; only then replace the user knowledge.
t_load_snapshot(Text, obj([clauses-num(N)])) :-
    setup_call_cleanup(open_string(Text, In), snap_read(In, Terms), close(In)),
    forall(( user_pred(PN/PA), functor(H, PN, PA) ),
           forall(( clause(user:H, _, Ref), \+ kb_ref(Ref) ), erase(Ref))),
    snap_apply(Terms, 0, N).

snap_read(In, Terms) :-
    catch(read_term(In, T, [syntax_errors(error), module(user)]), E,
          ( msg_text(E, M0), first_line(M0, M), fail_with(syntax, "snapshot is not valid Prolog: ~w", [M]) )),
    (   T == end_of_file -> Terms = []
    ;   T = (:- dynamic(_)) -> Terms = [T|Rest], snap_read(In, Rest)
    ;   T = (:- D) -> fail_with(syntax, "snapshot contains an unsupported directive: ~q", [D])
    ;   clause_parts_raw(T, H, _), check_head(H), Terms = [T|Rest], snap_read(In, Rest)
    ).

snap_apply([], N, N).
snap_apply([(:- dynamic(S))|Ts], N0, N) :- !, dynamic(user:S), snap_apply(Ts, N0, N).
snap_apply([T|Ts], N0, N) :- exec(assert, T, _), N1 is N0 + 1, snap_apply(Ts, N1, N).

% ---------------------------------------------------------------------------------------------
% Operation table
% ---------------------------------------------------------------------------------------------

op_(setup, [MaxKb], bool(true)) :- retractall(setting(_, _)), assertz(setting(max_kb_bytes, MaxKb)), setup.
op_(apply, Recs, obj([applied-num(N), missed-num(M)])) :- apply_all(Recs, 0, N, 0, M).
op_(query, [T, L, I], V) :- t_query(T, L, I, V).
op_(trace, [S, L, I], V) :- atom_string(A, S), t_trace(A, L, I, V).
op_(verify, [S, L, I], V) :- t_verify(S, L, I, V).
op_(explain, [T, D, I], V) :- t_explain(T, D, I, V).
op_(schema, [], V) :- t_schema(V).
op_(remember, [T], V) :- plan_reply(t_remember(T), V).
op_(define_rule, [H, B], V) :- plan_reply(t_define_rule(H, B), V).
op_(forget, [T], V) :- plan_reply(t_forget(T), V).
op_(clear, [T], V) :- plan_reply(t_clear(T), V).
op_(update, [O, N], V) :- plan_reply(t_update(O, N), V).
op_(upsert, [T], V) :- plan_reply(t_upsert(T), V).
op_(consult_kb, [T, L], V) :- t_consult_kb(T, L, V).
op_(dump, [], V) :- t_dump(V).
op_(load_snapshot, [T], V) :- t_load_snapshot(T, V).
op_(canon, [T], str(S)) :- parse_one(T, X, _), canon(X, S).
op_(kb_bytes, [], num(U)) :- kb_bytes(U).

% apply_all(+[Op, Text, Op, Text, …]): replay records; a record that matches nothing is counted.
apply_all([], N, N, M, M).
apply_all([Op0, Text|Rest], N0, N, M0, M) :-
    atom_string(Op, Op0),
    (   memberchk(Op, [assert, retract, retractall]) -> true ; fail_with(exec, "unknown journal op ~q", [Op]) ),
    apply_text(Op, Text, K),
    (   K > 0 -> N1 is N0 + 1, M1 = M0 ; N1 = N0, M1 is M0 + 1 ),
    apply_all(Rest, N1, N, M1, M).

% ---------------------------------------------------------------------------------------------
% JSON writer (RFC 8259): strings escaped, control characters as \u00XX
% ---------------------------------------------------------------------------------------------

json_write(obj(Pairs)) :- !, write('{'), json_pairs(Pairs), write('}').
json_write(arr(Items)) :- !, write('['), json_items(Items), write(']').
json_write(str(S)) :- !, json_string(S).
json_write(num(N)) :- !, ( integer(N) -> write(N) ; json_float(N) ).
json_write(bool(B)) :- !, write(B).
json_write(true) :- !, write(true).
json_write(false) :- !, write(false).
json_write(null) :- !, write(null).
json_write(raw(T)) :- !, write(T).
json_write(X) :- json_string(X).

json_float(F) :- format(atom(A), "~w", [F]), ( sub_atom(A, _, _, _, 'Inf') ; sub_atom(A, _, _, _, 'NaN') ), !, json_string(A).
json_float(F) :- format("~w", [F]).

json_pairs([]).
json_pairs([K-V|T]) :- json_string(K), write(':'), json_write(V), ( T == [] -> true ; write(','), json_pairs(T) ).
json_items([]).
json_items([X|T]) :- json_write(X), ( T == [] -> true ; write(','), json_items(T) ).

json_string(X) :-
    (   string(X) -> S = X ; atom(X) -> atom_string(X, S) ; format(string(S), "~w", [X]) ),
    json_escape(S, E),
    put_char('"'), write(E), put_char('"').

% json_escape(+S, -E): whole-string replacements (C speed); per-code work only for rare controls.
json_escape(S0, E) :-
    foldl(replace_all, ["\\"-"\\\\", "\""-"\\\"", "\n"-"\\n", "\r"-"\\r", "\t"-"\\t"], S0, S1),
    numlist(1, 31, Cs0), string_codes(Ctrl, Cs0), string_codes(Nul, [0]),
    (   split_string(S1, Ctrl, "", [_]), \+ sub_string(S1, _, _, _, Nul)
    ->  E = S1
    ;   string_codes(S1, Cs), with_output_to(string(E), forall(member(C, Cs), ctrl_code(C)))
    ).

ctrl_code(C) :- C < 32, !, Hi is C // 16, Lo is C mod 16, format("\\u00~16r~16r", [Hi, Lo]).
ctrl_code(C) :- put_code(C).

replace_all(From-To, S0, S) :-
    (   sub_string(S0, _, _, _, From)
    ->  atomic_list_concat(Parts, From, S0), atomic_list_concat(Parts, To, A), atom_string(A, S)
    ;   S = S0
    ).

`;
