% The module `zpm` loaded into every swipl-wasm instance: its declarations, the built-ins blocked for
% user code, set-up, and which dynamic predicates of 'user' are the user's knowledge.
% The engine's Prolog is split into files by concern; src/engine/prolog/sources.ts lists them in load
% order and the engine loads their concatenation as one file, so this one must come first.
:- module(zpm, [rpc/3]).
:- set_module(base(system)).   % never resolve through 'user', whose dangerous built-ins are blocked
:- use_module(library(sandbox)).
:- use_module(library(lists)).
:- use_module(library(apply)).

:- discontiguous op_/3.
:- dynamic kb_ref/1.          % clause references loaded from .zpm/kb/*.pl (read-only base layer)
:- dynamic kb_file/2.         % kb_file(Ref, Path): the file a kb clause came from
:- dynamic kb_label/1.        % the file being loaded by consult_kb
:- dynamic baseline/1.        % dynamic predicates of 'user' that belong to the system, not the user
:- dynamic setting/2.         % setting(max_kb_bytes, N)

% ---------------------------------------------------------------------------------------------
% Set-up
% ---------------------------------------------------------------------------------------------

blocked(halt/0). blocked(halt/1).
blocked(assert/1). blocked(asserta/1). blocked(assertz/1). blocked(asserta/2). blocked(assertz/2).
blocked(retract/1). blocked(retractall/1). blocked(abolish/1). blocked(abolish/2). blocked(erase/1).
blocked(recorda/2). blocked(recorda/3). blocked(recordz/2). blocked(recordz/3). blocked(flag/3).
blocked(shell/0). blocked(shell/1). blocked(shell/2).
blocked(consult/1). blocked(load_files/2). blocked(make/0).
blocked(open/3). blocked(open/4). blocked(see/1). blocked(tell/1). blocked(append/1).
blocked(nb_setval/2). blocked(b_setval/2). blocked(set_prolog_flag/2). blocked(op/3).
blocked(set_stream/2). blocked(prolog_load_context/2).
blocked(transaction/1). blocked(snapshot/1). blocked(garbage_collect/0).
blocked(set_prolog_stack/2). blocked(tabling/0).

setup :-
    set_prolog_flag(stack_limit, 536870912),
    forall(blocked(N/A), block(N, A)),
    dynamic(user:zpm_source/2),
    dynamic(user:tms_justification/2),
    forall(( user_dynamic(N/A), \+ memberchk(N/A, [zpm_source/2, tms_justification/2]) ),
           assertz(baseline(N/A))),
    at_halt(cancel_halt('zpm: halt is not allowed')),
    set_prolog_flag(user:unknown, warning).   % an undefined predicate fails; see note_undefined/1

% With `unknown` at `warning` in 'user', calling a predicate that has no definition (after
% autoloading) prints this message and fails, as if the predicate were dynamic. The message is
% caught here: while a query runs (zpm_undefined holds a list) the predicate is noted for the
% answer's warning; it is never printed.
:- multifile user:message_hook/3.
user:message_hook(error(existence_error(procedure, PI), _), warning, _) :- note_undefined(PI).

note_undefined(PI0) :-
    (   PI0 = user:PI -> true ; PI = PI0 ),
    (   nb_current(zpm_undefined, L), is_list(L) -> nb_setval(zpm_undefined, [PI|L]) ; true ).

% undefined_called(-PIs): predicates noted since undefined_reset/0, sorted.
undefined_reset :- nb_setval(zpm_undefined, []).
undefined_called(PIs) :-
    (   nb_current(zpm_undefined, L), is_list(L) -> sort(L, PIs) ; PIs = [] ),
    nb_setval(zpm_undefined, none).

% A blocked built-in called from user code (directly or through call/N) throws instead of running.
block(N, A) :-
    functor(H, N, A),
    catch(( redefine_system_predicate(user:H),
            assertz(user:(H :- throw(error(permission_error(call, procedure, N/A),
                                           context(zpm, 'not allowed in zpm knowledge or queries')))))
          ), _, true).

user_dynamic(N/A) :-
    (   atom(N), integer(A)                       % a check of one predicate: look it up directly
    ->  functor(H, N, A)                          % (enumerating every dynamic predicate per goal
    ;   true                                      % made queries and loads slow with many predicates)
    ),
    predicate_property(user:H, dynamic),
    \+ predicate_property(user:H, imported_from(_)),
    functor(H, N, A).

% user_pred(-N/A): user knowledge predicates (dynamic, not system, not ours).
user_pred(N/A) :-
    user_dynamic(N/A), \+ baseline(N/A), \+ sub_atom(N, 0, _, _, '$').

