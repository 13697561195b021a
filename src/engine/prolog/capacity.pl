% Capacity: the size of the user's knowledge and the limit checked before planned changes.

% The size is measured on every 32nd planned change (measuring walks every predicate).
check_capacity :-
    flag(zpm_capacity_tick, N, N + 1),
    N mod 32 =\= 0, !.
check_capacity :-
    setting(max_kb_bytes, Max), !,
    kb_bytes(Used),
    (   Used =< Max -> true
    ;   MB is Max // 1048576,
        fail_with(limit, "knowledge base size limit (~d MB) reached; forget facts or raise ZPM_MAX_KB_MB", [MB])
    ).
check_capacity.

% kb_bytes(-Bytes): memory held by the clauses of user predicates.
kb_bytes(B) :-
    aggregate_all(sum(S), ( user_pred(N/A), functor(H, N, A), predicate_property(user:H, size(S)) ), B).
