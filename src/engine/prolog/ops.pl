% The operation table op_/3 (the names the host calls through rpc/3) and journal replay (apply).

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
op_(consult_kb, [T, L, W], V) :- t_consult_kb(T, L, W, V).
op_(load_kb_cache, [T, L], V) :- t_load_kb_cache(T, L, V).
op_(dump, [], V) :- t_dump(V).
op_(load_snapshot, [T], V) :- t_load_snapshot(T, V).
op_(apply_plan, [K|Rest], V) :-                     % K journal records first (a writer's catch-up)
    N is 2 * K, length(Recs, N), append(Recs, [Op0|Args], Rest), apply_all(Recs, 0, _, 0, _),
    atom_string(Op, Op0), \+ memberchk(Op, [apply_plan, apply_plans]), apply_plan(Op, Args, V).
op_(apply_plans, [K|Rest], arr(Rs)) :-              % K journal records, then Op, N, N arguments per write
    N is 2 * K, length(Recs, N), append(Recs, Plans, Rest), apply_all(Recs, 0, _, 0, _),
    plan_each(Plans, Rs).
op_(undo_plan, [], bool(Done)) :- undo_plan(Done).
op_(canon, [T], str(S)) :- parse_one(T, X, _), canon(X, S).
op_(kb_bytes, [], num(U)) :- kb_bytes(U).

% plan_each(+[Op, N, Arg1, …, ArgN, …], -Replies): each write planned as its own apply_plan (its change
% kept applied, or nothing of it when it is refused), with the reply that call would have given.
plan_each([], []).
plan_each([Op0, NA|Rest], [R|Rs]) :-
    integer(NA), length(Args, NA), append(Args, More, Rest),
    catch(run_op(apply_plan, [0, Op0|Args], R), E, error_reply(E, R)),
    plan_each(More, Rs).

% apply_all(+[Op, Text, Op, Text, …]): replay records; a record that matches nothing is counted.
apply_all([], N, N, M, M).
apply_all([Op0, Text|Rest], N0, N, M0, M) :-
    atom_string(Op, Op0),
    (   memberchk(Op, [assert, retract, retractall, assert_many]) -> true ; fail_with(exec, "unknown journal op ~q", [Op]) ),
    apply_text(Op, Text, K),
    (   K > 0 -> N1 is N0 + 1, M1 = M0 ; N1 = N0, M1 is M0 + 1 ),
    apply_all(Rest, N1, N, M1, M).

