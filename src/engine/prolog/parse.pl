% Parsing user text into exactly one term (nesting limits, trailing '.' optional, user operators) and
% validating clauses and clause heads.

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

