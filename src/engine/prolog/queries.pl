% Read-only queries: query_logic, trace_dependency, verify_consistency and explain_why, bounded by
% solution and inference limits; solutions are rendered as JSON.

% run_goal(+Goal, +VNs, +Limit, +InfLimit, -Sols, -Truncated): read-only, bounded.
run_goal(Goal, VNs, Limit, InfLimit, Sols, Truncated) :-
    safe_walk(Goal, 0),
    Lim1 is Limit + 1,
    catch(call_with_inference_limit(
              snapshot(user_goal(findnsols_once(Lim1, VNs, user:Goal, Sols0))), InfLimit, R),
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

% The answers are copied without attributes while still beneath user_goal/1: otherwise binding an
% attributed (or frozen) variable while rendering them would run a user hook (attr_unify_hook/2, a
% frozen goal) outside that frame and outside snapshot/1.
findnsols_once(N, T, G, L) :- findnsols(N, T, G, L0), !, copy_term_nat(L0, L).

t_query(Text, Limit, InfLimit, obj([solutions-str(J), count-num(Len), truncated-TF, undefined-arr(Us)])) :-
    parse_one(Text, Goal, VNs),
    undefined_reset,
    run_goal(Goal, VNs, Limit, InfLimit, Sols, Truncated),
    undefined_called(PIs),
    findall(str(U), ( member(PI, PIs), format(string(U), "~q", [PI]) ), Us),
    length(Sols, Len),
    maplist(solution_json, Sols, Objs),
    json_text(arr(Objs), J),
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
t_verify(Scope, Limit, InfLimit, obj([violations-arr(Js), defined-Def])) :-
    (   Scope == "" -> Name = integrity_violation ; atomic_list_concat([integrity_violation, Scope], '_', Name) ),
    G =.. [Name, X],
    (   predicate_property(user:G, defined)
    ->  run_goal(G, ['X'=X], Limit, InfLimit, Sols, _), Def = true,
        findall(str(S), ( member(['X'=V], Sols), format(string(S), "~w", [V]) ), Js)
    ;   Js = [], Def = false
    ).

% explain_why: proof tree of the first proof, every reported child checked.
t_explain(Text, MaxDepth, InfLimit, Node) :-
    parse_one(Text, G, _),
    safe_walk(G, 0),
    split_string(Text, "", " \t\r\n.", [Root]),
    catch(call_with_inference_limit(snapshot(user_goal(explain_root(G, Root, MaxDepth, Node0))), InfLimit, R),
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

