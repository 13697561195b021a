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
    text_end(Trim, End),
    string_concat(Trim, End, Src),
    catch(setup_call_cleanup(
              open_string(Src, In),
              ( read_term(In, T, [variable_names(VNs), syntax_errors(error), module(user)]),
                catch(read_term(In, Rest, [syntax_errors(error), module(user)]), _, Rest = '$more') ),
              close(In)),
          error(syntax_error(W), stream(S, L, LP, C)),
          syntax_with_caret(Trim, error(syntax_error(W), stream(S, L, LP, C)))),
    (   T == end_of_file -> fail_with(syntax, "empty input: expected one Prolog term", []) ; true ),
    (   Rest == end_of_file -> true
    ;   fail_with(syntax, "expected exactly one Prolog term, but more text follows it", [])
    ).

% text_end(+Trim, -End): what ends a (trimmed) item text for reading: the end of a text that already
% ends in "." needs only the layout after it.
text_end(Trim, End) :- ( sub_string(Trim, _, 1, 0, ".") -> End = "\n" ; End = " .\n" ).

% syntax_with_caret(+Src, +Error): throw the syntax error as zpm's message, followed by the offending
% line with a caret under the column, and a hint when a name starts with a capital letter.
syntax_with_caret(Src, E) :-
    E = error(_, stream(_, L, LP, _)),
    msg_text(E, M0),
    split_string(Src, "\n", "", Lines),
    (   nth1(L, Lines, Line0) -> true ; Line0 = "" ),
    caret_window(Line0, LP, Line, Col),
    length(Sp, Col), maplist(=(0' ), Sp), string_codes(Pad, Sp),
    (   capital_name(Src, Name)
    ->  string_lower(Name, Low),
        format(string(Hint), "; names of facts and predicates start with a lowercase letter (~w, not ~w), or quote the name ('~w')", [Low, Name, Name])
    ;   Hint = ""
    ),
    format(string(M), "~w~w~n  ~w~n  ~w^", [M0, Hint, Line, Pad]),
    throw(zpm_error(syntax, M)).

% caret_window(+Line, +Col0, -Shown, -Col): at most 120 characters around the column.
caret_window(Line, C0, Line, C0) :- string_length(Line, N), N =< 120, !.
caret_window(Line, C0, Shown, Col) :-
    Start is max(0, C0 - 60), string_length(Line, N), Len is min(120, N - Start),
    sub_string(Line, Start, Len, _, Shown), Col is C0 - Start.

% capital_name(+Src, -Name): the text starts with a capitalised name directly followed by '('.
capital_name(Src, Name) :-
    split_string(Src, "", " \t\r\n", [T]),
    string_codes(T, [C|Cs]), code_type(C, upper),
    name_codes(Cs, NCs, [0'(|_]),
    string_codes(Name, [C|NCs]).

name_codes([C|Cs], [C|Ns], Rest) :- code_type(C, csym), !, name_codes(Cs, Ns, Rest).
name_codes(Rest, [], Rest).

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
depth_within(T, D) :- D1 is D - 1, functor(T, _, N), args_within(N, T, D1).

args_within(0, _, _) :- !.
args_within(I, T, D) :- arg(I, T, A), depth_within(A, D), I1 is I - 1, args_within(I1, T, D).

too_deep(Max) :-
    fail_with(syntax, "the term is nested more than ~d levels deep, which zpm does not accept (a list may be of any length)", [Max]).

% clause_parts(+Clause, -Head, -Body): validate a clause (fact or rule).
clause_parts(C, _, _) :- var(C), !, fail_with(syntax, "a clause must not be a variable", []).
clause_parts((:- _), _, _) :- !, fail_with(syntax, "directives (:- Goal) are not accepted as knowledge", []).
clause_parts((?- _), _, _) :- !, fail_with(syntax, "queries (?- Goal) are not accepted as knowledge", []).
clause_parts((_ --> _), _, _) :- !, fail_with(syntax, "grammar rules (-->) are not accepted; define the rule with :-", []).
clause_parts((H :- B), H, B) :- !, check_head(H), check_own(H), check_body(B).
clause_parts(H, H, true) :- check_head(H), check_own(H).

check_head(H) :- var(H), !, fail_with(syntax, "the head of a clause must not be a variable", []).
check_head(H) :- \+ callable(H), !, not_callable_head(H).
check_head(_:_) :- !, fail_with(syntax, "module-qualified clauses are not supported", []).
check_head(H) :- functor(H, N, A), sub_atom(N, 0, _, _, '$'), !,
    fail_with(syntax, "~q: predicate names starting with $ are reserved for the system", [N/A]).
check_head(H) :- functor(H, N, A), max_arity(Max), A > Max, !,
    fail_with(syntax, "~q has more arguments than a predicate may have (at most ~d)", [N/A, Max]).
check_head(H) :- clause_syntax(H), !, functor(H, N, A), fail_with(syntax, "~q cannot be a clause head (write the rule as Head :- Body)", [N/A]).
check_head(H) :- functor(H, N, A), reserved(N/A, Why), Why \== bookkeeping, !, reserved_error(N/A, Why).
check_head(_).

% check_own(+Head): zpm's bookkeeping predicates are not user knowledge (snapshots, which carry
% them, check only check_head/1).
check_own(H) :- functor(H, N, A), reserved(N/A, bookkeeping), !, reserved_error(N/A, bookkeeping).
check_own(_).

% Any name and arity may be a user predicate, also one that shares its name with a system or
% library predicate (it is then the user's inside that memory), except these:
reserved(PI, control) :- control_pi(PI), !.
reserved(zpm_source/2, bookkeeping).
reserved(tms_justification/2, bookkeeping).
reserved(PI, hook) :- hook_pi(PI).

control_pi((',')/2). control_pi((;)/2). control_pi((->)/2). control_pi((*->)/2). control_pi((\+)/1).
control_pi(!/0). control_pi((:-)/1). control_pi((:-)/2). control_pi((?-)/1). control_pi((-->)/2).
control_pi(true/0). control_pi(fail/0). control_pi(false/0).
control_pi(call/A) :- integer(A), between(1, 8, A).

% SWI-Prolog's hook predicates in module user (the dynamic ones present at set-up that zpm does not
% block): clauses for them would change how the engine loads code, prints or handles errors.
hook_pi(N/A) :- baseline(N/A), \+ blocked(N/A).

reserved_error(PI, Why) :-
    why_reserved(Why, Text),
    findall(H, ( baseline(H), \+ blocked(H) ), Hooks0), sort(Hooks0, Hooks),
    fail_with(exec, "~q is reserved (~w) and cannot hold facts or rules; use another name. Reserved: the control constructs ,/2 ;/2 ->/2 *->/2 \\+/1 !/0 call/1..8 :-/1..2 true/0 fail/0 false/0; zpm's bookkeeping zpm_source/2 and tms_justification/2; SWI-Prolog's hooks ~q", [PI, Text, Hooks]).

why_reserved(control, "it is a control construct of Prolog").
why_reserved(bookkeeping, "zpm records the source of every clause and assumption links in it").
why_reserved(hook, "it is an SWI-Prolog hook that would change how the engine itself works").

not_callable_head(H) :-
    fail_with(syntax, "~q is not a valid fact or clause head (it must be an atom or a compound term)", [H]).

max_arity(Max) :- catch(current_prolog_flag(max_procedure_arity, Max), _, fail), !.
max_arity(1024).

control((_,_)). control((_;_)). control((_->_)). control((_*->_)). control(\+ _). control(!).

clause_syntax((_ :- _)). clause_syntax((:- _)). clause_syntax((?- _)). clause_syntax((_ --> _)).

