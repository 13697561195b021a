% Planning: a mutation runs inside snapshot/1, sees its own effects, changes nothing, and yields the
% journal records it applied (emit/3); the host commits them and then applies them with `apply`.

% Records go to the recorded database: appending is O(1) and survives backtracking (forall/2).
emit(Op, T, N) :-
    exec(Op, T, N),
    canon(T, S),
    recordz(zpm_records, rec(Op, S)).

plan(Goal, Records, Result) :-
    fresh_library_index,
    clear_records,
    snapshot(( call(Goal, Result0), findall(R, recorded(zpm_records, R), Records) )),
    clear_records,
    Result = Result0.

clear_records :- forall(recorded(zpm_records, _, Ref), erase(Ref)).

records_json(Records, arr(Js)) :-
    findall(obj([op-str(Op), clause-str(S)]), member(rec(Op, S), Records), Js).

plan_reply(Goal, obj([records-RJ, result-Res])) :-
    plan(Goal, Records, Res),
    records_json(Records, RJ).


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
