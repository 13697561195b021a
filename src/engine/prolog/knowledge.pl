% Knowledge mutations of the tools (remember, define_rule, forget, clear, update, upsert), all planned.

% remember(+Text): assert a clause and its interactive source.
% A clause already present (as a variant, also from a kb file) is not added again: known = true, and
% only a missing interactive source is recorded (so retracting an assumption keeps it).
t_remember(Text, obj([clause-str(S), known-K])) :-
    check_capacity,
    parse_one(Text, C0, _), clause_parts(C0, H, B), clause_term(H, B, C),
    assert_new(C, K),
    canon(C, S).

assert_new(C, K) :-
    (   present(C) -> K = true, ensure_source(C, interactive)
    ;   K = false, emit(assert, C, _), add_source(C, interactive)
    ).

% present(+C): a variant of clause C is stored (user or kb layer).
present(C) :-
    clause_parts_raw(C, H, B),
    predicate_property(user:H, dynamic), \+ guarded(H),
    copy_term(H-B, H2-B2),
    clause(user:H2, B2, R), clause(user:H1, B1, R), (H1 :- B1) =@= (H :- B), !.

% ensure_source(+C, +Src): record Src for the stored clause C unless recorded.
ensure_source(C, Src) :-
    (   copy_term(C, C1), clause(user:zpm_source(C1, Src), true), C1 =@= C -> true
    ;   emit(assert, zpm_source(C, Src), _)
    ).

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

t_define_rule(HeadText, BodyText, obj([clause-str(S), known-K])) :-
    check_capacity,
    parse_one(HeadText, H, VH), parse_one(BodyText, B, VB),
    share_vars(VB, VH),
    clause_parts((H :- B), H1, B1),
    assert_new((H1 :- B1), K),
    canon((H1 :- B1), S).

share_vars([], _).
share_vars([N=V|T], VH) :- ( memberchk(N=V0, VH) -> V = V0 ; true ), share_vars(T, VH).

% forget(+Text): retract the first matching clause; drop its links when no copy remains.
% A clause that only a read-only kb file holds is reported with the file (kb_file) instead.
t_forget(Text, obj([found-Found, clause-str(S), kb_file-str(File)])) :-
    parse_one(Text, C0, _), clause_parts_raw(C0, H, B),
    (   user_clause(H, B, Ref, unify)
    ->  clause(user:H1, B1, Ref), clause_term(H1, B1, C),
        emit(retract, C, _), drop_links_if_gone(C), Found = true, canon(C, S), File = ""
    ;   kb_clause_file(H, B, File) -> Found = false, S = ""
    ;   Found = false, S = "", File = ""
    ).

kb_clause_file(H, B, File) :-
    callable(H), predicate_property(user:H, dynamic), \+ guarded(H),
    copy_term(H-B, H0-B0),
    clause(user:H0, B1, Ref), kb_ref(Ref), H0 = H, B1 = B,
    (   kb_file(Ref, File) -> true ; File = "a file in .zpm/kb" ), !.

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

% dedup_variants(+Terms, -Distinct): one per variant class, first seen first (O(n log n), see tms.pl).
dedup_variants(Terms, Distinct) :- keyed_distinct(Terms, Pairs), pairs_values(Pairs, Distinct).

% update(+Old, +New): atomic replace of the first clause matching Old by the fact New.
t_update(OldText, NewText, obj([found-Found, old-str(SO), new-str(SN)])) :-
    check_capacity,
    parse_one(NewText, N0, _),
    (   is_rule(N0) -> fail_with(syntax, "new_fact must not contain rule syntax", []) ; true ),
    clause_parts(N0, NH, _),
    parse_one(OldText, O0, _), clause_parts_raw(O0, OH, OB),
    canon(NH, SN),
    (   user_clause(OH, OB, Ref, unify)
    ->  clause(user:H1, B1, Ref), clause_term(H1, B1, C),
        emit(retract, C, _), drop_links_if_gone(C), emit(assert, NH, _),
        Found = true, canon(C, SO)
    ;   Found = false, SO = ""
    ).

% is_rule(+Term): the parsed term is a rule (or other clause syntax), not a fact; quoted ':-' in
% an argument (note('a :- b')) is a fact.
is_rule(T) :- nonvar(T), clause_syntax(T).

% upsert(+Fact): replace every fact with the same functor, arity and first argument.
t_upsert(Text, obj([removed-num(N), pattern-str(SP), clause-str(S)])) :-
    check_capacity,
    parse_one(Text, F0, _),
    (   is_rule(F0) -> fail_with(syntax, "fact must not contain rule syntax", []) ; true ),
    clause_parts(F0, H, _),
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

