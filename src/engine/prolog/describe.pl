% Describing the user's knowledge: get_knowledge_schema and get_kb_overview.

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


% ---- get_kb_overview ------------------------------------------------------------------------------

t_overview(Sample, obj([predicates-arr(Ps), assumptions-obj([count-num(NA), names-arr(Names)])])) :-
    findall(Name/Ar, ( user_pred(Name/Ar), \+ memberchk(Name, [tms_justification, zpm_source]),
                       atom_codes(Name, [C0|_]), code_type(C0, lower) ), PIs0),
    sort(PIs0, PIs),
    findall(obj([functor-str(Name), arity-num(Ar), kind-str(Kind), count-num(All), samples-arr(Ss)]),
            ( member(Name/Ar, PIs), functor(H, Name, Ar),
              predicate_property(user:H, number_of_clauses(All)), All > 0,
              ( predicate_property(user:H, number_of_rules(Rules)) -> true ; Rules = 0 ),
              Facts is All - Rules,
              ( Facts > 0, Rules > 0 -> Kind = both ; Rules > 0 -> Kind = rule ; Kind = fact ),
              samples(H, Sample, Ss) ),
            Ps),
    findall(A, clause(user:tms_justification(_, A), true), As0),
    list_to_set(As0, As), length(As, NA),
    findall(str(A), member(A, As), Names).

samples(_, 0, []) :- !.
samples(H, N, Ss) :- findnsols(N, str(S), ( clause(user:H, B), sample_text(H, B, S) ), Ss), !.
samples(_, _, []).

sample_text(H, true, S) :- !, format(string(S), "~w", [H]).
sample_text(H, B, S) :- format(string(S), "~w :- ~w", [H, B]).

op_(overview, [S], V) :- t_overview(S, V).
