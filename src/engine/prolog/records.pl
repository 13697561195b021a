% Primitive records (assert, retract, retractall; assert_many for a bulk load): the only way knowledge
% changes; journal replay runs the same code.

% exec(+Op, +Clause, -Affected)
exec(assert, C, 1) :-
    clause_parts_raw(C, H, B),
    assert_run(H, B, none, _).
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

% guarded(+Head): a blocked built-in whose guard clause (see block/2) must never be retracted; once
% the user stores a clause under that name it is the user's predicate (see ensure_dynamic/1).
guarded(H) :- callable(H), functor(H, N, A), blocked(N/A), baseline(N/A).

% ensure_dynamic(+Head): make Head's predicate the user's dynamic predicate in 'user'. A name that
% 'user' gets from the system or a library is redefined locally, so inside this memory the name is
% the user's (zpm's own code runs in module zpm, whose base is 'system', and never sees it); the
% guard clause of a blocked built-in is dropped (the real one stays unreachable, see sandbox.pl).
ensure_dynamic(H) :-
    functor(H, N, A),
    (   user_pred(N/A) -> true
    ;   guarded(H) -> retract(baseline(N/A)), retractall(user:H)
    ;   predicate_property(user:H, dynamic) -> true
    ;   (   predicate_property(system:H, defined) -> redefine_system_predicate(user:H) ; true ),
        dynamic(user:N/A)
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

% assert_run(+H, +B, +PI0, -PI): make H's predicate the user's and assertz(H :- B), where PI0 is the
% predicate of the clause asserted just before (none at the start): ensure_dynamic/1 runs once per run
% of clauses of one predicate (for a predicate already made the user's it is a no-op).
assert_run(H, B, PI0, F/A) :-
    functor(H, F, A),
    (   PI0 == F/A -> true ; ensure_dynamic(H) ),
    assertz(user:(H :- B)).

% apply_text(+Op, +Text, -N): apply one journal record given as text. An assert_many record holds
% several clauses, each ended by " . ", asserted in order (N of them).
apply_text(assert_many, Text, N) :- !,
    setup_call_cleanup(open_string(Text, In), assert_stream(In, none, 0, N), close(In)).
apply_text(Op, Text, N) :-
    parse_text(Text, T, _),
    exec(Op, T, N).

assert_stream(In, PI0, N0, N) :-
    read_term(In, T, [syntax_errors(error), module(user)]),
    (   T == end_of_file -> N = N0
    ;   clause_parts_raw(T, H, B), assert_run(H, B, PI0, PI), N1 is N0 + 1, assert_stream(In, PI, N1, N)
    ).

