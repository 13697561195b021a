% Loading text: kb files (the read-only base layer, clause by clause) and snapshots (which replace all
% user knowledge); dump writes the user's knowledge back as consultable source.

% consult_kb(+Text, +Label, +Want): load a user file clause by clause; errors are reported per clause.
% With Want = 1 the reply's `cache` is what parsing produced, one term a line, for load_kb_cache/2:
% e(Line, Message) for a term that could not be read or expanded, i(Line, Item) for one that was, its
% Item written before it runs (so with the operators and flags in force when it is read back).
t_consult_kb(Text, Label, Want, obj([added-num(N), errors-arr(Es), cache-str(Cache)])) :-
    retractall(kb_label(_)), assertz(kb_label(Label)),
    setup_call_cleanup(open_string(Text, In), kb_loop(In, Label, Want, 0, N, Es0, Cs), close(In)),
    findall(str(E), member(E, Es0), Es),
    atomic_list_concat(Cs, Cache).

kb_loop(In, Label, Want, N0, N, Errs, Cache) :-
    stream_property(In, position(Pos)), stream_position_data(line_count, Pos, Line),
    catch(read_term(In, T, [syntax_errors(error), module(user), term_position(TP)]), E, true),
    (   nonvar(E)
    ->  error_line(E, Line, L), syntax_msg(E, M),
        format(string(Msg), "~w:~w: ~w", [Label, L, M]),
        Errs = [Msg|Errs1], kb_cache_line(Want, e(L, M), Cache, Cache1),
        kb_loop(In, Label, Want, N0, N, Errs1, Cache1)
    ;   T == end_of_file -> N = N0, Errs = [], Cache = []
    ;   ( nonvar(TP), stream_position_data(line_count, TP, L) -> true ; arg(1, TP, _) -> L = Line ; L = Line ),
        (   catch(( kb_prepare(T, Item), Ok0 = true ), E1, true), Ok0 == true
        ->  kb_cache_line(Want, i(L, Item), Cache, Cache1), kb_item(Item, Label, L, N0, N1, Errs, Errs1)
        ;   msg_of(E1, M), format(string(Msg), "~w:~w: ~w", [Label, L, M]),
            kb_cache_line(Want, e(L, M), Cache, Cache1), N1 = N0, Errs = [Msg|Errs1]
        ),
        kb_loop(In, Label, Want, N1, N, Errs1, Cache1)
    ).

kb_cache_line(1, Term, [S, " .\n"|Cache], Cache) :- !, canon(Term, S).
kb_cache_line(_, _, Cache, Cache).

% kb_item(+Item, +Label, +Line, +N0, -N, -Errs, ?Errs1): run one prepared term; a clause term counts.
kb_item(Item, Label, L, N0, N, Errs, Errs1) :-
    catch(( kb_run(Item), Ok = true ), E, true),
    (   Ok == true -> ( Item = d(_) -> N = N0 ; N is N0 + 1 ), Errs = Errs1
    ;   msg_of(E, M), format(string(Msg), "~w:~w: ~w", [Label, L, M]), N = N0, Errs = [Msg|Errs1]
    ).

% load_kb_cache(+Text, +Label): load what consult_kb/3 produced for a user file: every item is checked
% and run exactly as when the file was consulted (only reading and term expansion are skipped). A
% cache that cannot be read is an error, and the clauses it added are taken out again.
t_load_kb_cache(Text, Label, obj([added-num(N), errors-arr(Es)])) :-
    retractall(kb_label(_)), assertz(kb_label(Label)),
    catch(setup_call_cleanup(open_string(Text, In), kb_cache_loop(In, Label, 0, N, Es0), close(In)), E,
          ( kb_unload(Label), msg_of(E, M), fail_with(exec, "the kb cache of ~w is unusable: ~w", [Label, M]) )),
    findall(str(Er), member(Er, Es0), Es).

kb_cache_loop(In, Label, N0, N, Errs) :-
    read_term(In, T, [syntax_errors(error), module(user)]),
    (   T == end_of_file -> N = N0, Errs = []
    ;   T = e(L, M) -> format(string(Msg), "~w:~w: ~w", [Label, L, M]), Errs = [Msg|Errs1],
        kb_cache_loop(In, Label, N0, N, Errs1)
    ;   T = i(L, Item), kb_item_form(Item) -> kb_item(Item, Label, L, N0, N1, Errs, Errs1),
        kb_cache_loop(In, Label, N1, N, Errs1)
    ;   fail_with(exec, "unexpected term ~q", [T])
    ).

kb_item_form(d(_)).
kb_item_form(c(Cs)) :- is_list(Cs).

kb_unload(Label) :-
    forall(kb_file(Ref, Label), ( erase(Ref), retractall(kb_ref(Ref)), retractall(kb_file(Ref, Label)) )).

% kb_prepare(+Term, -Item): a directive d(D), or the clauses c(Cs) the term expands to.
kb_prepare((:- D), d(D)) :- !.
kb_prepare(T, c(Cs)) :- expand_term(T, X0), ( is_list(X0) -> Cs = X0 ; Cs = [X0] ).

kb_run(d(D)) :- kb_directive(D).
kb_run(c(Cs)) :- forall(member(C, Cs), kb_clause(C)).

syntax_msg(error(syntax_error(W), stream(_, _, LP, _)), M) :- !,
    ( message_to_codes_(error(syntax_error(W), _), M0) -> true ; format(string(M0), "~q", [W]) ),
    Col is LP + 1, format(string(M), "~w (column ~w)", [M0, Col]).
syntax_msg(E, M) :- msg_text(E, M0), first_line(M0, M).

error_line(error(_, stream(_, L, _, _)), _, L) :- !.
error_line(_, L, L).
first_line(M, L) :- split_string(M, "\n", "", [L|_]).
msg_of(zpm_error(_, M), M) :- !.
msg_of(E, M) :- msg_text(E, M0), first_line(M0, M).

kb_clause((:- D)) :- !, kb_directive(D).
kb_clause(C) :-
    clause_parts(C, H, B),
    ensure_dynamic(H),
    assertz(user:(H :- B), Ref),
    assertz(kb_ref(Ref)),
    ( kb_label(L) -> assertz(kb_file(Ref, L)) ; true ).

kb_directive(dynamic(Spec)) :- !, dynamic(user:Spec).
kb_directive(discontiguous(_)) :- !.
kb_directive(module(_, _)) :- !.
kb_directive(ensure_loaded(library(L))) :- !, use_module(user:library(L)).
kb_directive(use_module(library(L))) :- !, use_module(user:library(L)).
kb_directive(use_module(library(L), Is)) :- !, use_module(user:library(L), Is).
kb_directive(op(P, T, N)) :- !, op(P, T, user:N).
kb_directive(set_prolog_flag(double_quotes, V)) :- !, set_prolog_flag(user:double_quotes, V).
kb_directive(D) :- fail_with(unsafe, "directive ~q is not supported in knowledge files (allowed: dynamic, discontiguous, use_module/ensure_loaded of libraries, op/3)", [D]).

% dump: all non-kb user knowledge as consultable source.
t_dump(str(Text)) :-
    with_output_to(string(Text),
      forall(( user_pred(N/A), functor(H, N, A) ),
             ( format(":- dynamic(~q).~n", [N/A]),
               forall(( clause(user:H, B, Ref), \+ kb_ref(Ref) ), write_clause(H, B)) ))).

write_clause(H, B) :-
    clause_term(H, B, C), canon(C, S),
    (   sub_string(S, _, 1, 0, Last), symbol_char(Last) -> Sep = " ." ; Sep = "." ),
    format("~s~w~n", [S, Sep]).

symbol_char(C) :- sub_atom('#$&*+-./:<=>?@^~\\', _, 1, _, C).

% load_snapshot(+Text): parse and check everything first; only then replace the user knowledge.
% Knowledge: the clauses other than zpm's bookkeeping. Extra: the `:- dynamic` lines a dump would add
% to Text, for user predicates that stay dynamic (declared before, or by kb files) although Text
% neither declares them nor holds a clause of them; Text followed by Extra describes the new
% knowledge exactly, so a restore stores that instead of a dump.
t_load_snapshot(Text, obj([clauses-num(N), knowledge-num(K), extra-str(Extra)])) :-
    setup_call_cleanup(open_string(Text, In), snap_read(In, Terms), close(In)),
    forall(( user_pred(PN/PA), functor(H, PN, PA) ),
           forall(( clause(user:H, _, Ref), \+ kb_ref(Ref) ), erase(Ref))),
    snap_apply(Terms, none, 0, N),
    aggregate_all(count, ( member(T, Terms), T \= (:- _), clause_parts_raw(T, TH, _), \+ bookkeeping(TH) ), K),
    snap_extra(Terms, Extra).

snap_read(In, Terms) :-
    catch(read_term(In, T, [syntax_errors(error), module(user)]), E,
          ( msg_text(E, M0), first_line(M0, M), fail_with(syntax, "snapshot is not valid Prolog: ~w", [M]) )),
    (   T == end_of_file -> Terms = []
    ;   T = (:- dynamic(S)) -> snap_check_dynamic(S), Terms = [T|Rest], snap_read(In, Rest)
    ;   T = (:- D) -> fail_with(syntax, "snapshot contains an unsupported directive: ~q", [D])
    ;   clause_parts_raw(T, H, _), check_head(H), Terms = [T|Rest], snap_read(In, Rest)
    ).

% snap_check_dynamic(+Spec): a declaration Name/Arity of a predicate the user may own (also one named
% like a built-in); checked while reading, so an invalid snapshot changes nothing.
snap_check_dynamic(N/A) :- atom(N), integer(A), A >= 0, !, functor(H, N, A), check_head(H).
snap_check_dynamic(S) :- fail_with(syntax, "snapshot contains an invalid dynamic declaration: ~q", [S]).

% snap_apply(+Terms, +Last, +N0, -N): assert the clauses in order (assert_run/4).
snap_apply([], _, N, N).
snap_apply([(:- dynamic(N/A))|Ts], _, C0, C) :- !,
    functor(H, N, A), ensure_dynamic(H), snap_apply(Ts, none, C0, C).
snap_apply([T|Ts], Last, N0, N) :-
    clause_parts_raw(T, H, B),
    assert_run(H, B, Last, PI),
    N1 is N0 + 1,
    snap_apply(Ts, PI, N1, N).

snap_extra(Terms, Extra) :-
    findall(PI, member((:- dynamic(PI)), Terms), Declared),
    with_output_to(string(Extra),
      forall(( user_pred(PN/PA), \+ memberchk(PN/PA, Declared), functor(H, PN, PA),
               \+ ( clause(user:H, _, Ref), \+ kb_ref(Ref) ) ),
             format(":- dynamic(~q).~n", [PN/PA]))).
