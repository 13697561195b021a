% Describing the user's knowledge: get_knowledge_schema and get_kb_overview.

% described_pred(-Name/Arity, -Head, -Count, -Kind): on backtracking, in standard order, every user
% predicate that get_knowledge_schema and get_kb_overview describe and that has clauses: Count clauses,
% Kind fact, rule or both. Truth-maintenance records are left out, and so are names that do not start
% with a lower-case letter or that hold characters other than letters, digits and '_'.
described_pred(Name/Ar, H, All, Kind) :-
    findall(N/A, ( user_pred(N/A), \+ memberchk(N, [tms_justification, zpm_source]),
                   atom_codes(N, [C0|_]), code_type(C0, lower),
                   forall(sub_atom(N, _, 1, _, Ch), ( char_type(Ch, alnum) ; Ch == '_' )) ), PIs0),
    sort(PIs0, PIs),
    member(Name/Ar, PIs), functor(H, Name, Ar),
    predicate_property(user:H, number_of_clauses(All)), All > 0,
    ( predicate_property(user:H, number_of_rules(Rules)) -> true ; Rules = 0 ),
    Facts is All - Rules,
    ( Facts > 0, Rules > 0 -> Kind = both ; Rules > 0 -> Kind = rule ; Kind = fact ).

% get_knowledge_schema: every described predicate.
t_schema(obj([predicates-arr(Ps), total-num(N)])) :-
    findall(obj([name-str(Name), arity-num(Ar), type-str(Type), count-num(All)]),
            described_pred(Name/Ar, _, All, Type), Ps),
    length(Ps, N).

% ---- get_kb_overview ------------------------------------------------------------------------------

t_overview(Sample, obj([predicates-arr(Ps), assumptions-obj([count-num(NA), names-arr(Names)])])) :-
    findall(obj([functor-str(Name), arity-num(Ar), kind-str(Kind), count-num(All), samples-arr(Ss)]),
            ( described_pred(Name/Ar, H, All, Kind), samples(H, Sample, Ss) ),
            Ps),
    findall(A, clause(user:tms_justification(_, A), true), As0),
    list_to_set(As0, As), length(As, NA),
    findall(str(A), member(A, As), Names).

samples(_, 0, []) :- !.
samples(H, N, Ss) :- findnsols(N, str(S), ( clause(user:H, B), sample_text(H, B, S) ), Ss), !.
samples(_, _, []).

% The one rendering of clauses (canon/2: quoted, variables A, B, …), as every other tool.
sample_text(H, B, S) :- clause_term(H, B, C), canon(C, S).

op_(overview, [S], V) :- t_overview(S, V).
