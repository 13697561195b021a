% Refactoring: find_predicate_references and rename_predicate (planned like every mutation, records
% through emit/3), and walking goal positions of rule bodies.

% ---- goal-position walking ------------------------------------------------------------------

% body_goal(+Body, -Goal): every goal in a body, through control constructs and meta-arguments.
body_goal(B, _) :- var(B), !, fail.
body_goal(B, G) :- G = B.
body_goal(_:B, G) :- !, body_goal(B, G).
body_goal(B, G) :-
    callable(B), meta_spec_of(B, Spec),
    B =.. [_|Args], Spec =.. [_|Specs],
    nth1(I, Specs, S), meta_spec(S), nth1(I, Args, A0), strip_hat(A0, A),
    body_goal(A, G).

% rename_goals(+Body, +Old, +Arity, +New, -Body2): rename calls to Old/Arity in goal positions.
rename_goals(B, _, _, _, B) :- var(B), !.
rename_goals(M:B, O, A, N, M:B2) :- !, rename_goals(B, O, A, N, B2).
rename_goals(B, O, A, N, B2) :-
    callable(B),
    (   meta_spec_of(B, Spec)
    ->  B =.. [F|Args], Spec =.. [_|Specs],
        maplist(rename_arg(O, A, N), Specs, Args, Args2),
        B1 =.. [F|Args2]
    ;   B1 = B
    ),
    rename_head(B1, O, A, N, B2), !.
rename_goals(B, _, _, _, B).

rename_arg(O, A, N, S, X, Y) :- meta_spec(S), !, rename_hat(X, O, A, N, Y).
rename_arg(_, _, _, _, X, X).
rename_hat(X, _, _, _, X) :- var(X), !.
rename_hat(V^G, O, A, N, V^G2) :- !, rename_hat(G, O, A, N, G2).
rename_hat(G, O, A, N, G2) :- rename_goals(G, O, A, N, G2).

rename_head(H, O, A, N, H2) :-
    (   callable(H), functor(H, O, A)
    ->  H =.. [O|Args], H2 =.. [N|Args]
    ;   H2 = H
    ).

mentions(B, O, A) :- body_goal(B, G), nonvar(G), callable(G), functor(G, O, A0), ( var(A) -> true ; A0 =:= A ), !.

anon_head(H, S) :-
    functor(H, N, A),
    (   A =:= 0 -> format(string(S), "~q", [N])
    ;   length(L, A), maplist(=("_"), L), atomic_list_concat(L, ",", Args),
        format(string(S), "~q(~w)", [N, Args])
    ).

% ---- find_predicate_references ----------------------------------------------------------------

t_references(Old, Arity0, Mem, obj([rules-arr(Rules), direct_facts_count-num(Facts),
                                      facts_referenced_in_assumptions-arr(Assums), cross_memory_refs-arr(Cross)])) :-
    ( Arity0 < 0 -> true ; Arity = Arity0 ),
    findall(obj([head-str(HS), body-str(BS), memory-str(Mem)]),
            ( user_pred(N/A), functor(H, N, A), clause(user:H, B), B \== true,
              mentions(B, Old, Arity), anon_head(H, HS), canon(B, BS) ), Rules),
    aggregate_all(count, ( user_pred(Old/A), ( var(Arity) -> true ; A =:= Arity ),
                           functor(H, Old, A), clause(user:H, true) ), Facts),
    findall(obj([assumption-str(As), fact-str(FS), memory-str(Mem)]),
            ( clause(user:tms_justification(F, As), true), callable(F), functor(F, Old, FA),
              ( var(Arity) -> true ; FA =:= Arity ), canon(F, FS) ), Assums),
    findall(obj([head-str(HS), body-str(BS), memory-str(Mem), qualifier-str(Q)]),
            ( user_pred(N/A), functor(H, N, A), clause(user:H, B), B \== true,
              sub_term(Q:G, B), atom(Q), Q \== user, mentions(G, Old, Arity),
              anon_head(H, HS), canon(B, BS) ), Cross).

% ---- rename_predicate (planned) -------------------------------------------------------------------

t_rename(Old, New, Arity0, obj(Pairs)) :-
    rename_arity(Old, Arity0, Arity),
    (   integer(Arity), user_pred(New/Arity), functor(NH, New, Arity), clause(user:NH, _)
    ->  fail_with(exec, "name collision: cannot rename ~q to ~q: ~q already has clauses (rename or clear it first)", [Old/Arity, New, New/Arity])
    ;   true
    ),
    (   integer(Arity) -> rename_clauses(Old, Arity, New, Facts, Rules) ; Facts = 0, Rules = 0 ),
    (   integer(Arity) -> rewrite_bodies(Old, Arity, New, Rewritten, Ids, Warn) ; Rewritten = [], Ids = [], Warn = [] ),
    rename_links(Old, Arity, New, Preserved),
    (   integer(Arity) -> rename_sources(Old, Arity, New) ; true ),
    Base = [renamed_facts-num(Facts), renamed_rules-num(Rules), preserved_assumptions-num(Preserved),
            rewritten_rule_bodies-arr(Rewritten), affected_rule_ids-arr(Ids), kb_file_rules-arr(Warn)],
    (   integer(Arity) -> Pairs = [arity-num(Arity)|Base] ; Pairs = Base ).

rename_arity(Old, A0, A) :- A0 >= 0, !, A = A0, ( user_pred(Old/A) -> true ; true ).
rename_arity(Old, _, A) :-
    findall(X, user_pred(Old/X), Xs0), sort(Xs0, Xs),
    (   Xs = [] -> A = unknown
    ;   Xs = [A] -> true
    ;   fail_with(exec, "~q is defined with several arities ~w: pass arity", [Old, Xs])
    ).

rename_clauses(Old, A, New, Facts, Rules) :-
    functor(H, Old, A),
    findall(Ref, ( predicate_property(user:H, dynamic), clause(user:H, _, Ref), \+ kb_ref(Ref) ), Refs),
    foldl(rename_clause(Old, A, New), Refs, 0-0, Facts-Rules).

rename_clause(Old, A, New, Ref, F0-R0, F-R) :-
    clause(user:H, B, Ref),
    clause_term(H, B, C),
    rename_head(H, Old, A, New, H2), rename_goals(B, Old, A, New, B2),
    clause_term(H2, B2, C2),
    emit(retract, C, _), emit(assert, C2, _),
    (   B == true -> F is F0 + 1, R = R0 ; F = F0, R is R0 + 1 ).

% Rules of other predicates calling Old/A: rewrite every clause of such a predicate in order, so
% clause order is kept.
rewrite_bodies(Old, A, New, Rewritten, Ids, Warn) :-
    findall(N/Ar, ( user_pred(N/Ar), N/Ar \== Old/A, functor(H, N, Ar),
                    clause(user:H, B), B \== true, mentions(B, Old, A) ), Ps0),
    sort(Ps0, Ps),
    findall(W, ( member(N/Ar, Ps), functor(H, N, Ar), clause(user:H, B, Ref), kb_ref(Ref),
                 mentions(B, Old, A), canon((H:-B), S), W = str(S) ), Warn),
    foldl(rewrite_pred(Old, A, New), Ps, []-[], R0-I0),
    reverse(R0, Rewritten), reverse(I0, Ids).

rewrite_pred(Old, A, New, N/Ar, R0-I0, R-I) :-
    functor(H, N, Ar),
    findall(Ref, ( clause(user:H, _, Ref), \+ kb_ref(Ref) ), Refs),
    foldl(rewrite_clause(Old, A, New), Refs, R0-I0, R-I).

rewrite_clause(Old, A, New, Ref, R0-I0, R-I) :-
    clause(user:H, B, Ref),
    rename_goals(B, Old, A, New, B2),
    clause_term(H, B, C), clause_term(H, B2, C2),
    emit(retract, C, _), emit(assert, C2, _),
    (   B2 == B -> R = R0, I = I0
    ;   anon_head(H, HS), canon(B, BS), canon(B2, BS2), canon(C2, ID),
        R = [obj([head-str(HS), old_body-str(BS), new_body-str(BS2)])|R0], I = [str(ID)|I0]
    ).

rename_links(Old, A, New, N) :-
    findall(F-As, ( clause(user:tms_justification(F, As), true), callable(F), functor(F, Old, FA),
                    ( integer(A) -> FA =:= A ; true ) ), Links),
    forall(member(F-As, Links),
           ( functor(F, Old, FA), rename_head(F, Old, FA, New, F2),
             emit(retract, tms_justification(F, As), _), emit(assert, tms_justification(F2, As), _) )),
    length(Links, N).

rename_sources(Old, A, New) :-
    findall(C-S, ( clause(user:zpm_source(C, S), true), source_mentions(C, Old, A) ), Srcs),
    forall(member(C-S, Srcs),
           ( source_rename(C, Old, A, New, C2),
             emit(retract, zpm_source(C, S), _), emit(assert, zpm_source(C2, S), _) )).

source_mentions((H :- B), O, A) :- !, ( callable(H), functor(H, O, A) -> true ; mentions(B, O, A) ).
source_mentions(H, O, A) :- callable(H), functor(H, O, A).
source_rename((H :- B), O, A, N, (H2 :- B2)) :- !, rename_head(H, O, A, N, H2), rename_goals(B, O, A, N, B2).
source_rename(H, O, A, N, H2) :- rename_head(H, O, A, N, H2).


op_(references, [F, A, M], V) :- atom_string(Fa, F), atom_string(Ma, M), t_references(Fa, A, Ma, V).
op_(rename, [O, N, A], V) :- atom_string(Oa, O), atom_string(Na, N), plan_reply(t_rename(Oa, Na, A), V).
