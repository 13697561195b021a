% Truth maintenance (assume_fact, retract_assumption, belief status, justifications), loaded into module
% zpm after the rest of the engine.
%
% Storage is the two user predicates upstream uses, so snapshots and journals carry it:
%   tms_justification(Fact, Assumption)  one clause per support link;
%   zpm_source(Fact, Source)             provenance of a stored fact:
%       interactive   asserted on its own (remember_fact/define_rule write it; assume_fact writes it
%                     for a fact it finds stored without any provenance or link, e.g. from update_fact);
%       assumption    the TMS stored this copy (assume_fact found the fact absent and asserted it).
%
% Everything works on terms: facts are compared as variants, never re-rendered and re-parsed.
% Retracting the last link of a fact removes the copy the TMS stored (one copy), and a fact with no
% provenance at all (links from upstream zpm, whose assume_fact always asserted a copy and whose
% sources were never journaled) loses all its non-kb copies, as upstream does. A fact asserted on its
% own is never removed. Bulk work uses sorted keys (variant_sha1) so that it stays O(n log n) with no
% cap on the number of links.

:- use_module(library(assoc)).
:- use_module(library(pairs)).

% ---------------------------------------------------------------------------------------------
% Truth maintenance: lookups (variants of stored clauses, kb layer included)
% ---------------------------------------------------------------------------------------------

% tms_fact_ref(+F, -Ref): a stored fact clause that is a variant of F.
tms_fact_ref(F, Ref) :-
    callable(F), F \= _:_,
    predicate_property(user:F, dynamic),
    copy_term(F, F0),
    clause(user:F0, true, Ref),
    clause(user:H, true, Ref), H =@= F.

tms_stored(F) :- tms_fact_ref(F, _), !.

% tms_copies(+F, -Refs): the non-kb copies of F (the ones a record can retract).
tms_copies(F, Refs) :- findall(R, ( tms_fact_ref(F, R), \+ kb_ref(R) ), Refs).

% tms_linked(+F, ?A): a link whose fact is a variant of F.
tms_linked(F, A) :- tms_about(tms_justification, F, A).

% tms_source(+F, ?S): a provenance record whose fact is a variant of F.
tms_source(F, S) :- tms_about(zpm_source, F, S).

% tms_about(+Name, +F, ?X): a stored fact Name(F1, X) with F1 a variant of F. SWI indexes a compound
% first argument by its functor only, so the bucket is scanned; calling the (rule-free) predicate
% first rejects the common "no such record" case about ten times faster than clause/2 can.
tms_about(Name, F, X) :-
    copy_term(F, F0),
    G =.. [Name, F0, X],
    (   predicate_property(user:G, number_of_rules(0)) -> \+ \+ call(user:G) ; true ),
    clause(user:G, true, Ref),
    clause(user:G1, true, Ref), arg(1, G1, L), L =@= F, !.

tms_add_source(F, S) :- ( tms_source(F, S) -> true ; emit(assert, zpm_source(F, S), _) ).

% tms_fact_term(+Text, -F): F, or rule when the text is a rule, directive or grammar rule.
tms_fact_term(Text, F) :-
    parse_one(Text, C, _),
    (   nonvar(C), ( C = (_ :- _) ; C = (:- _) ; C = (_ --> _) ) -> F = rule
    ;   clause_parts(C, F, _),
        (   tms_reserved(F)
        ->  functor(F, N, A), fail_with(exec, "~q is reserved for truth maintenance records", [N/A])
        ;   true
        )
    ).

tms_reserved(F) :- compound(F), ( F = tms_justification(_, _) ; F = zpm_source(_, _) ), !.

% ---------------------------------------------------------------------------------------------
% assume_fact: store the fact once, link it once
% ---------------------------------------------------------------------------------------------

t_assume(Text, A, R) :-
    tms_fact_term(Text, F),
    (   F == rule -> R = obj([rule-true])
    ;   check_capacity,
        (   tms_stored(F)
        ->  Asserted = false,
            (   \+ tms_linked(F, _), \+ tms_source(F, _), tms_copies(F, [_|_])
            ->  tms_add_source(F, interactive)          % stored on its own, provenance not recorded
            ;   true
            )
        ;   Asserted = true,
            emit(assert, F, _),
            tms_add_source(F, assumption)
        ),
        (   tms_linked(F, A) -> New = false ; New = true, emit(assert, tms_justification(F, A), _) ),
        canon(F, S),
        R = obj([rule-false, fact-str(S), assumption-str(A), asserted-Asserted, new_link-New])
    ).

% ---------------------------------------------------------------------------------------------
% Retraction
% ---------------------------------------------------------------------------------------------

t_retract_assumption(A, obj([found-Found, removed-num(N)])) :-
    (   clause(user:tms_justification(_, A), true)
    ->  Found = true, tms_retract_set([A], N)
    ;   Found = false, N = 0
    ).

t_retract_glob(Pattern, obj([assumptions-arr(Ms), count-num(K), removed-num(N)])) :-
    atom_codes(Pattern, Pc),
    tms_assumptions(As),
    include(glob_match(Pc), As, Matched),
    length(Matched, K),
    findall(str(M), member(M, Matched), Ms),
    (   Matched == [] -> N = 0 ; tms_retract_set(Matched, N) ).

% tms_retract_set(+Assumptions, -Removed): drop every link of the assumptions, then every fact left
% without support. Removed counts facts that were stored before and are gone after.
tms_retract_set(As, Removed) :-
    findall(F, ( member(A, As), clause(user:tms_justification(F, A), true), nonvar(F) ), Fs),
    forall(member(A, As), emit(retractall, tms_justification(_, A), _)),
    keyed_distinct(Fs, Cands),
    templates(Cands, Ts),
    findall(K-x, ( member(T, Ts), clause(user:tms_justification(T, _), true), variant_sha1(T, K) ), St0),
    sort(1, @<, St0, St), list_to_assoc(St, Supported),
    exclude(tms_supported(Supported), Cands, Orphans),
    findall(K-S, ( member(T, Ts), clause(user:zpm_source(T, S), true), variant_sha1(T, K) ), Src0),
    keysort(Src0, Src1), group_pairs_by_key(Src1, Src2), list_to_assoc(Src2, Sources),
    foldl(tms_drop_orphan(Sources), Orphans, 0, Removed).

tms_supported(Supported, K-_) :- get_assoc(K, Supported, _).

% keyed_distinct(+Terms, -Pairs): Key-Term, one per variant class, in first-seen order.
keyed_distinct(Ts, Pairs) :-
    findall(K-(I-T), ( nth1(I, Ts, T), variant_sha1(T, K) ), P0),
    sort(1, @<, P0, P1),                       % one per key
    findall(I-(K-T), member(K-(I-T), P1), P2),
    keysort(P2, P3), pairs_values(P3, Pairs).

% templates(+Pairs, -Ts): one most general term per functor of the facts (selects the index).
templates(Pairs, Ts) :-
    findall(N/Ar, ( member(_-F, Pairs), functor(F, N, Ar) ), L0), sort(L0, L),
    findall(T, ( member(N/Ar, L), functor(T, N, Ar) ), Ts).

tms_drop_orphan(Sources, K-F, R0, R) :-
    ( get_assoc(K, Sources, Ss) -> true ; Ss = [] ),
    ( tms_stored(F) -> Before = true ; Before = false ),
    (   memberchk(assumption, Ss), memberchk(interactive, Ss)
    ->  % also remembered on its own (remember_fact adds no second copy): only the record goes
        forall(member(assumption, Ss), emit(retract, zpm_source(F, assumption), _))
    ;   memberchk(assumption, Ss)
    ->  % the TMS stored one copy: remove it (a copy asserted on its own stays)
        forall(member(assumption, Ss), emit(retract, zpm_source(F, assumption), _)),
        ( tms_copies(F, [_|_]) -> emit(retract, F, _) ; true )
    ;   Ss == []
    ->  % no provenance at all: links written by upstream zpm, which always asserted the fact
        tms_copies(F, Copies), forall(member(_, Copies), emit(retract, F, _))
    ;   true                                        % asserted on its own: it stays
    ),
    (   tms_stored(F) -> R = R0
    ;   forall(( member(S, Ss), S \== assumption ), emit(retract, zpm_source(F, S), _)),
        ( Before == true -> R is R0 + 1 ; R = R0 )
    ).

% ---------------------------------------------------------------------------------------------
% Glob matching (iterative: remember the last '*', retry from one character further on mismatch)
% ---------------------------------------------------------------------------------------------

glob_match(Pc, A) :- atom(A), atom_codes(A, Sc), glob(Pc, Sc, none, none).

% glob(+Pattern, +String, +PatternAfterStar, +StringAtStar)
glob(P, [], _, _) :- !, all_stars(P).
glob([0'*|P], S, _, _) :- !, glob(P, S, P, S).
glob([C|P], [D|S], SP, SS) :- ( C == 0'? ; C == D ), !, glob(P, S, SP, SS).
glob(_, _, none, _) :- !, fail.
glob(_, _, SP, [_|SS]) :- glob(SP, SS, SP, SS).

all_stars([]).
all_stars([0'*|T]) :- all_stars(T).

% ---------------------------------------------------------------------------------------------
% Inspection
% ---------------------------------------------------------------------------------------------

tms_assumptions(As) :-
    findall(A, clause(user:tms_justification(_, A), true), As0),
    list_to_set(As0, As).

t_list_assumptions(arr(Js)) :-
    tms_assumptions(As),
    findall(str(A), member(A, As), Js).

t_justification(A, arr(Js)) :-
    findall(S, ( clause(user:tms_justification(F, A), true), canon(F, S) ), Ss0),
    list_to_set(Ss0, Ss),
    findall(str(S), member(S, Ss), Js).

% get_belief_status: links are found by unification (a pattern such as healthy(X) reports every
% matching link, as upstream); status is in only while a linked fact is stored.
t_belief(Text, obj([status-str(St), justifications-arr(Js), source-str(Src), present-P])) :-
    parse_one(Text, F, _),
    (   var(F) -> fail_with(syntax, "a variable is not a fact (expected an atom or a compound term)", [])
    ;   callable(F) -> true
    ;   fail_with(syntax, "~q is not a fact (expected an atom or a compound term)", [F])
    ),
    findall(A, clause(user:tms_justification(F, A), true), As0),
    list_to_set(As0, As),
    findall(str(A), member(A, As), Js),
    (   tms_matches_stored(F) -> P = true ; P = false ),
    (   tms_belief_in(F) -> St = in ; St = out ),
    findall(S, clause(user:zpm_source(F, S), true), Ss),
    (   memberchk(interactive, Ss) -> Src = interactive
    ;   Ss = [S0|_] -> Src = S0
    ;   Src = unknown
    ).

% in: some link unifying with F names a fact that is stored.
tms_belief_in(F) :-
    copy_term(F, F0),
    clause(user:tms_justification(F0, _), true, Ref),
    clause(user:tms_justification(L, _), true, Ref),
    nonvar(L), tms_stored(L), !.

% present: some stored fact unifies with F.
tms_matches_stored(F) :-
    F \= _:_,
    predicate_property(user:F, dynamic),
    copy_term(F, F0),
    clause(user:F0, true), !.

% ---------------------------------------------------------------------------------------------
% Operations
% ---------------------------------------------------------------------------------------------

op_(tms_assume, [T, A], V) :- atom_string(Aa, A), plan_reply(t_assume(T, Aa), V).
op_(tms_retract, [A], V) :- atom_string(Aa, A), plan_reply(t_retract_assumption(Aa), V).
op_(tms_retract_glob, [P], V) :- atom_string(Pa, P), plan_reply(t_retract_glob(Pa), V).
op_(tms_belief, [T], V) :- t_belief(T, V).
op_(tms_justification, [A], V) :- atom_string(Aa, A), t_justification(Aa, V).
op_(tms_list, [], V) :- t_list_assumptions(V).
