% Rendering terms as text that reads back as a variant (journal records, snapshots, tool output).

% canon(+Term, -String): quoted text that reads back as a variant of Term, variables named A, B, …;
% the one rendering of clauses in every answer (a rule reads `Head :- Body`).
canon(T, S) :- with_output_to(string(S), write_canon(T)).

% write_canon(+Term): write canon/2's text of Term to the current output.
write_canon(T) :-
    (   ground(T) -> C = T, Names = []
    ;   copy_term(T, C), term_variables(C, Vs), name_vars(Vs, 0, Names)
    ),
    Opts = [quoted(true), variable_names(Names), spacing(next_argument)],
    (   compound(C), C = (H :- B)
    ->  (   atom(H), current_op(_, _, H)
        ->  write('('), write_term(H, [priority(1199)|Opts]), write(')')
        ;   write_term(H, [priority(1199)|Opts])
        ),
        write(' :- '), write_term(B, [priority(1199)|Opts])
    ;   write_term(C, Opts)
    ).

name_vars([], _, []).
name_vars([V|Vs], I, [N=V|Ns]) :-
    L is 0'A + I mod 26, K is I // 26,
    (   K =:= 0 -> format(atom(N), "~c", [L]) ; format(atom(N), "~c~d", [L, K]) ),
    I1 is I + 1, name_vars(Vs, I1, Ns).

clause_term(H, true, H) :- !.
clause_term(H, B, (H :- B)).

