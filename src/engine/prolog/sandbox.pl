% Safety walker: goals run by read tools and bodies of rules must be side-effect free.

check_body(B) :- safe_walk(B, 0).

safe_walk(G, _) :- var(G), !.
safe_walk(_, D) :- D > 2000, !, fail_with(unsafe, "goal is nested too deeply to check", []).
safe_walk(M:G, D) :- !,
    (   M == user -> D1 is D + 1, safe_walk(G, D1)
    ;   fail_with(unsafe, "module-qualified goals (~q:...) are not allowed", [M])
    ).
safe_walk(G, _) :- \+ callable(G), !, fail_with(exec, "~q is not callable", [G]).
safe_walk(G, D) :-
    functor(G, N, A),
    (   user_pred(N/A) -> true                  % the user's own predicate (even if it shares a
                                                  % system name): its clauses are checked when stored
    ;   blocked(N/A) -> unsafe(N/A)
    ;   denied(N/A) -> unsafe(N/A)
    ;   user_defined_or_unknown(G) -> true
    ;   meta_spec_of(G, _) -> true               % its meta-arguments are walked below
    ;   catch(sandbox:safe_goal(user:G), E, true),
        (   var(E) -> true
        ;   E = error(existence_error(procedure, _), _) -> true
        ;   unsafe_side_effect(N/A)
        )
    ),
    (   user_pred(N/A) -> true ; D1 is D + 1, meta_args(G, D1) ).

unsafe(PI) :-
    format(string(M), "~q is not allowed: zpm queries and rules must not change the knowledge base, stop the engine, or touch files", [PI]),
    throw(zpm_error(unsafe, M)).

% A built-in that library(sandbox) does not accept: say why in terms of what it would do.
unsafe_side_effect(PI) :-
    (   side_effect(PI, Why) -> true
    ;   Why = "library(sandbox) cannot show that it is free of side effects (I/O, files, the operating system, threads or global state), which zpm queries and rules must not have"
    ),
    format(string(M), "~q is not allowed: ~w", [PI, Why]),
    throw(zpm_error(unsafe, M)).

side_effect(sleep/1, "it only makes the engine wait, and every call runs under a deadline; leave waiting to the client").
side_effect(PI, "it reads or writes streams (the server's stdin and stdout carry the protocol); use format/3 with atom(A) or string(S) to build text") :-
    memberchk(PI, [write/1, print/1, writeln/1, write_canonical/1, writeq/1, nl/0, format/1, format/2, tab/1,
                   put_char/1, write/2, nl/1, format/3, print_message/2]).

denied(N/_) :- sub_atom(N, 0, _, _, '$'), !.
denied(PI) :- memberchk(PI, [ '.'/2, thread_create/3, thread_create/2, tnot/1, abolish_all_tables/0,
                              read/1, read_term/2, read_term/3, get_char/1, get_char/2 ]).

user_defined_or_unknown(G) :-
    (   predicate_property(user:G, dynamic) -> true
    ;   \+ predicate_property(user:G, defined)
    ).

% Walk into meta-arguments (call/N, findall/3, forall/2, \+, ;, ->, …).
meta_args(G, D) :-
    meta_spec_of(G, Spec), !,
    G =.. [_|Args], Spec =.. [_|Specs],
    forall(( nth1(I, Specs, S), meta_spec(S) ), ( nth1(I, Args, Arg), strip_hat(Arg, Arg1), safe_walk(Arg1, D) )).
meta_args(_, _).

meta_spec_of(G, Spec) :- control_spec(G, Spec), !.
meta_spec_of(G, Spec) :-
    predicate_property(system:G, meta_predicate(Spec)),
    predicate_property(system:G, iso) -> true
    ;   predicate_property(system:G, meta_predicate(Spec)),
        functor(G, N, A), safe_meta(N/A).

% Meta built-ins whose only risk lies in the goals they call (which are walked).
safe_meta(PI) :- memberchk(PI, [call/1, call/2, call/3, call/4, call/5, call/6, call/7, call/8,
    findall/3, findall/4, findnsols/4, findnsols/5, forall/2, aggregate_all/3, aggregate_all/4,
    bagof/3, setof/3, once/1, ignore/1, catch/3, (\+)/1, not/1, call_cleanup/2, setup_call_cleanup/3,
    foldl/4, foldl/5, foldl/6, maplist/2, maplist/3, maplist/4, maplist/5, include/3, exclude/3,
    partition/4, limit/2, offset/2, order_by/2, distinct/1, distinct/2, call_with_depth_limit/3,
    call_with_inference_limit/3, apply/2, (^)/2, with_output_to/2, format/3, phrase/2, phrase/3]).

control_spec((_,_), ','(0,0)). control_spec((_;_), ;(0,0)). control_spec((_->_), ->(0,0)).
control_spec((_*->_), *->(0,0)). control_spec(\+ _, \+(0)).

meta_spec(S) :- integer(S). meta_spec(^).
strip_hat(G, G) :- var(G), !.
strip_hat(_^G0, G) :- !, strip_hat(G0, G).
strip_hat(G, G).


% ---------------------------------------------------------------------------------------------
% Run-time guard: the checker above cannot see goals built at run time (`X = system:halt, call(X)`).
% Every runtime_blocked/1 predicate is wrapped (wrap_predicate/4) so that it throws a permission
% error when it is called beneath a user_goal/1 frame, whichever way it was reached. The frame is
% on the engine's own stack, so user code cannot hide or forge it; zpm's own code outside it is
% unaffected.
% ---------------------------------------------------------------------------------------------

% user_goal(:G): run a user goal (a query, a proof) once. Exceptions are caught inside, so cleanup
% handlers of the goal (setup_call_cleanup/3) also run beneath this frame.
user_goal(G) :-
    catch(G, E, true), !,
    (   var(E) -> true ; throw(E) ).

% A module-transparent predicate without a meta-predicate declaration (import/1, set_module/1,
% abolish/1, ...) is left out: its wrapper would run it in the wrong module (autoloading broke).
% A predicate that system imports (print_message/2, shell/1, snapshot/1, ...) is wrapped where it
% is defined; wrapping it under the name system refuses with a permission error.
runtime_guard :-
    forall(( runtime_blocked(M:N/A), functor(H, N, A), wrappable(M:H),
             ( predicate_property(M:H, imported_from(D)) -> Def = D ; Def = M ) ),
           catch(wrap_predicate(Def:H, zpm_guard, W, (zpm:runtime_check(M:H), W)), _, true)).

wrappable(M:H) :-
    predicate_property(M:H, defined),
    (   predicate_property(M:H, transparent), \+ predicate_property(M:H, meta_predicate(_))
    ->  functor(H, N, _), sub_atom(N, _, _, _, wrap)      % wrapper internals: never called at run time
    ;   true
    ).

% runtime_check(+M:Head): refuse the call beneath user_goal/1. SWI-Prolog's own code that runs
% beneath a user goal, resolving an undefined predicate ('$undefined_procedure'/4: autoloading) or
% printing the warning for one (print_message/2, which sets flags and global variables), is
% allowed when its frame is nearer than user_goal/1 and than any user code. User code reaches
% those frames only through hooks, which are dynamic predicates (see nearest_guard_frame/2), and
% print_message/2 itself is only allowed for that warning, whose message holds no goal.
runtime_check(M:H) :-
    (   M:H = system:print_message(warning, error(existence_error(procedure, PI), Ctx)),
        ground(PI), var(Ctx)                  % exactly what SWI-Prolog prints: no goal inside
    ->  true
    ;   prolog_current_frame(F),
        prolog_frame_attribute(F, parent_goal, user_goal(_)),   % fast, in C; then the nearest one
        prolog_frame_attribute(F, parent, P), nearest_guard_frame(P, user_goal)
    ->  functor(H, N, A), ( M == system -> E = N/A ; E = M:N/A ),
        throw(error(permission_error(call, procedure, E), context(zpm, 'not allowed in zpm knowledge or queries')))
    ;   true
    ).

% nearest_guard_frame(+Frame, -Kind): user_goal when user code is nearer than a trusted system
% frame: zpm's user_goal/1, or a clause of a dynamic predicate (the user's rules, and hooks such as
% exception/3 or prolog:message//1 that a query could assert, since snapshot/1 undoes asserts only
% afterwards). predicate_indicator leaves out the module of the asking code, zpm.
nearest_guard_frame(F, Kind) :-
    prolog_frame_attribute(F, predicate_indicator, PI),
    (   PI == user_goal/1 -> Kind = user_goal
    ;   ( PI = M:N/A -> true ; PI = N/A, M = zpm ), functor(H, N, A),
        predicate_property(M:H, dynamic), \+ sub_atom(N, 0, _, _, '$wrap$')   % (wrappers are dynamic)
    ->  Kind = user_goal
    ;   memberchk(PI, [system:'$undefined_procedure'/4, '$messages':print_message/2]) -> Kind = system
    ;   prolog_frame_attribute(F, parent, P), nearest_guard_frame(P, Kind)
    ).
