% The module `zpm` loaded into every swipl-wasm instance: its declarations, the built-ins blocked for
% user code, set-up, and which dynamic predicates of 'user' are the user's knowledge.
% The engine's Prolog is split into files by concern; src/engine/prolog/sources.ts lists them in load
% order and the engine loads their concatenation as one file, so this one must come first.
:- module(zpm, [rpc/3]).
:- set_module(base(system)).   % never resolve through 'user', whose dangerous built-ins are blocked
:- use_module(library(sandbox)).
:- use_module(library(lists)).
:- use_module(library(apply)).
:- use_module(library(aggregate)).   % loaded into the boot state: the first write would autoload it

:- discontiguous op_/3.
:- dynamic kb_ref/1.          % clause references loaded from .zpm/kb/*.pl (read-only base layer)
:- dynamic kb_file/2.         % kb_file(Ref, Path): the file a kb clause came from
:- dynamic kb_label/1.        % the file being loaded by consult_kb
:- dynamic baseline/1.        % dynamic predicates of 'user' that belong to the system, not the user
:- dynamic setting/2.         % setting(max_kb_bytes, N)
:- dynamic staged_chunk/3.    % staged_chunk(I, Mode, Parts): an import's checked clauses (bulk.pl)

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

% Predicates that also refuse when reached past the guards above, by a goal built at run time
% (`X = system:halt, call(X)`, or through another module): every blocked/1 predicate of module
% `system`, and these, which change engine state that snapshot/1 does not undo (flags, operators,
% global variables, streams, in-memory files, modules, loaded code, wrappers), run JavaScript in
% the host, or start goals outside the caller's frames (engines, hooks). See runtime_guard/0.
runtime_blocked(system:PI) :- blocked(PI), \+ undone_anyway(PI).
runtime_blocked(system:PI) :- member(PI, [
    js_run_script/1, print_message/2, '$js_call'/2, '$await'/2,
    create_prolog_flag/3, '$style_check'/2, char_conversion/2,
    nb_linkval/2, nb_delete/1,
    set_input/1, set_output/1, told/0, seen/0, set_prolog_IO/3, set_system_IO/3,
    set_stream_position/2, seek/4, set_end_of_stream/1, protocol/1, protocola/1, noprotocol/0,
    delete_file/1, rename_file/2, make_directory/1, delete_directory/1, '$chdir'/1, tmp_file/2,
    '$tmp_file_stream'/4, setenv/2, unsetenv/1,
    set_module/1, add_import_module/3, delete_import_module/2, import/1, '$import'/2, export/1,
    '$destroy_module'/1, '$declare_module'/6, '$set_source_module'/1, '$set_typein_module'/1,
    redefine_system_predicate/1, '$set_predicate_attribute'/3, (dynamic)/1, (discontiguous)/1,
    (multifile)/1, (module_transparent)/1, (meta_predicate)/1, (public)/1, (thread_local)/1, (volatile)/1,
    compile_predicates/1, compile_aux_clauses/1, '$record_clause'/3, '$record_clause'/4,
    '$vm_assert'/3, load_files/1, ensure_loaded/1, use_module/1, use_module/2, reexport/1,
    reexport/2, '$start_consult'/2, '$unload_file'/1,
    wrap_predicate/4, unwrap_predicate/2, '$wrapped_implementation'/3, '$wrapped_predicate'/2,
    '$c_wrap_predicate'/5,
    '$engine_create'/3, at_halt/1, cancel_halt/1, abort/0, break/0, (initialization)/2,
    prolog_listen/2, prolog_listen/3, prolog_unlisten/2, '$on_signal'/4, '$set_prolog_stack'/4,
    trace/0, prolog_debug/1, set_locale/1, locale_create/3, locale_destroy/1, format_predicate/2,
    set_flag/2, set_random/1, garbage_collect_atoms/0, garbage_collect_clauses/0 ]).

% Blocked built-ins whose effect a query cannot keep: user goals run inside snapshot/1, which undoes
% clause changes, and b_setval/2 is undone on backtracking. Not wrapped: zpm's own journal replay and
% planning call the assert family constantly, and a wrapper costs a frame search per call.
undone_anyway(PI) :-
    memberchk(PI, [assert/1, asserta/1, asserta/2, assertz/1, assertz/2, retract/1, retractall/1, b_setval/2]).

setup :-
    set_prolog_flag(stack_limit, 536870912),
    forall(blocked(N/A), block(N, A)),
    runtime_guard,
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
    (   nb_current(zpm_undefined, Cell), Cell = noted(L)   % updated in place: nb_setval/2 is
    ->  nb_setarg(1, Cell, [PI|L])                          % refused beneath user_goal/1
    ;   true
    ).

% undefined_called(-PIs): predicates noted since undefined_reset/0, sorted.
undefined_reset :- nb_setval(zpm_undefined, noted([])).
undefined_called(PIs) :-
    (   nb_current(zpm_undefined, noted(L)) -> sort(L, PIs) ; PIs = [] ),
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

