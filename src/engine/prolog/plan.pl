% Planning: a mutation sees its own effects and yields the journal records it applied (emit/3).
% Two modes: plan_reply/2 alone (a dry run) runs inside snapshot/1 and changes nothing; under
% apply_plan/3 (a durable write) it runs inside transaction/1, so the change stays applied and the host
% makes one engine call per write. Until the host has committed the records, undo_plan/1 can take
% the change back exactly (the host rebuilds the engine from the store where it cannot).

% Records go to the recorded database: appending is O(1) and survives backtracking (forall/2).
emit(Op, T, N) :-
    undo_before(Op, T, U),
    exec(Op, T, N),
    undo_note(Op, N, U),
    canon(T, S),
    recordz(zpm_records, rec(Op, S)).

plan(Goal, Records, Result) :-
    fresh_library_index,
    clear_records,
    (   nb_current(zpm_plan_mode, apply)
    ->  transaction(( call(Goal, Result0), findall(R, recorded(zpm_records, R), Records) ))
    ;   snapshot(( call(Goal, Result0), findall(R, recorded(zpm_records, R), Records) ))
    ),
    clear_records(zpm_records),
    Result = Result0.

clear_records :- clear_records(zpm_records), clear_records(zpm_undo).
clear_records(Key) :- forall(recorded(Key, _, Ref), erase(Ref)).

records_json(Records, arr(Js)) :-
    findall(obj([op-str(Op), clause-str(S)]), member(rec(Op, S), Records), Js).

plan_reply(Goal, obj([records-RJ, result-Res])) :-
    plan(Goal, Records, Res),
    records_json(Records, RJ).

% apply_plan(+Op, +Args, -V): run the planned operation Op with its change kept applied.
apply_plan(Op, Args, V) :-
    setup_call_cleanup(nb_setval(zpm_plan_mode, apply), op_(Op, Args, V), nb_setval(zpm_plan_mode, dry)).

% What undoes one emitted record, noted before it runs: added(PI) (an assertz to a predicate that
% existed: erase its last clause), created(PI) (the assertz also created the predicate: erase and
% abolish it), or rebuild (a retract, or a name taken over from the system or a blocked built-in:
% clause order or system state cannot be restored here).
undo_before(assert, C, U) :- !,
    clause_parts_raw(C, H, _), functor(H, N, A),
    (   user_pred(N/A) -> U = added(N/A)
    ;   guarded(H) -> U = rebuild
    ;   predicate_property(user:H, dynamic) -> U = added(N/A)
    ;   predicate_property(system:H, defined) -> U = rebuild
    ;   current_predicate(N, user:H) -> U = rebuild
    ;   U = created(N/A)
    ).
undo_before(_, _, rebuild).

undo_note(Op, N, U) :-
    (   Op \== assert, N =:= 0 -> true                 % nothing was removed: nothing to undo
    ;   recordz(zpm_undo, U)
    ).

% undo_plan(-Done): take back the last applied plan (newest record first); Done is false, and nothing
% is changed, when a record cannot be undone exactly here.
undo_plan(Done) :-
    findall(U, recorded(zpm_undo, U), Us),
    (   memberchk(rebuild, Us) -> Done = false
    ;   reverse(Us, Rs), maplist(undo_one, Rs), Done = true
    ),
    clear_records.

undo_one(added(N/A)) :- erase_last(N/A).
undo_one(created(N/A)) :- erase_last(N/A), functor(H, N, A), abolish(user:N/A), \+ current_predicate(N, user:H).

erase_last(N/A) :-
    functor(H, N, A),
    (   predicate_property(user:H, number_of_clauses(K)), K > 0, nth_clause(user:H, K, Ref)
    ->  erase(Ref)
    ;   fail_with(exec, "cannot undo the assert to ~q: it has no clauses", [N/A])
    ).

% fresh_library_index: SWI's autoloader re-checks its library index when asked for a predicate it
% does not know (e.g. a new user predicate) and the last check is over 60 s old, and remembers the
% time in its database. Inside snapshot/1 that memory is rolled back, so an engine whose last check
% was not made outside a snapshot (every engine started from a boot state) paid the check (10-100 ms)
% on every first write of a predicate. Doing it here, outside the snapshot, makes it once a minute.
fresh_library_index :-
    (   current_predicate('$autoload':load_library_index/2)
    ->  catch('$autoload':load_library_index(_, _), _, true)
    ;   true
    ).
