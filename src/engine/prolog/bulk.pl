% Bulk operations: several clauses in one planned transaction (remember_facts, zpm import), reading and
% staging a knowledge file (import), and writing a memory as plain Prolog (export).

% remember_many(+Texts): every item is checked first (parse, clause and head rules, as remember_fact);
% when any is refused nothing is emitted and the error lists each refused item; otherwise each is
% asserted with its source link as remember_fact does, all in this one plan (one journal transaction,
% one assert_many record).
t_remember_many(Texts, obj([count-num(N)])) :-
    check_items(Texts, "link", Parts, Errs),
    (   Errs == [] -> true
    ;   length(Errs, NE), length(Texts, NT), atomic_list_concat(Errs, '\n', All),
        fail_with(syntax, "~d of ~d item(s) refused; nothing was stored:~n~w", [NE, NT, All])
    ),
    capacity_now,
    many_assert(Parts, "link", N).

% capacity_now: the size check of check_capacity, once per batch (kb_bytes walks every predicate, so
% checking it every 32 items, as single remembers do, made large imports quadratic).
capacity_now :-
    (   setting(max_kb_bytes, Max), kb_bytes(Used), Used > Max
    ->  MB is Max // 1048576,
        fail_with(limit, "knowledge base size limit (~d MB) reached; forget facts or raise ZPM_MAX_KB_MB", [MB])
    ;   true
    ).

% check_items(+Texts, +Mode, -Parts, -Errs): each item parsed and checked once; Parts holds Head-Body
% of the good ones (in order), Errs a message per refused one. All items are read from one stream
% when that gives exactly one term per item (read_items/2); otherwise, and for the messages of refused
% items, each is parsed on its own as remember_fact parses it.
check_items(Texts, Mode, Parts, Errs) :-
    (   read_items(Texts, Terms)
    ->  check_terms(Terms, Mode, 1, none, Parts, Errs)
    ;   check_texts(Texts, Mode, 1, Parts, Errs)
    ).

check_texts([], _, _, [], []).
check_texts([T|Ts], Mode, I, Parts, Errs) :-
    catch(( parse_one(T, C0, _), item_parts(Mode, C0, H, B), Ok = true ), E, true),
    item_result(Ok, E, I, H-B-none, Parts, Parts1, Errs, Errs1),
    I1 is I + 1,
    check_texts(Ts, Mode, I1, Parts1, Errs1).

% check_terms(+Terms, +Mode, +I, +Last, -Parts, -Errs): check_texts for the terms read_items/2 read
% (item(Short, Text, T), see there). The rules of check_head/1 depend only on the name and arity, so
% a fact of the predicate of the fact before it (Last, a Name/Arity or none) needs no more checks.
% Parts are Head-Body-Text: Text is the item's own text when it reads as the very clause stored (not
% so for `H :- true`, stored as the fact H), else none.
check_terms([], _, _, _, [], []).
check_terms([item(Short, Text0, C0)|Cs], Mode, I, Last0, Parts, Errs) :-
    catch(( ( Short == true -> true ; check_depth(C0) ),
            checked_parts(Mode, C0, H, B, Last0, Last), Ok = true ), E, true),
    ( Ok == true -> true ; Last = Last0 ),
    ( B == true, C0 \== H -> Text = none ; Text = Text0 ),
    item_result(Ok, E, I, H-B-Text, Parts, Parts1, Errs, Errs1),
    I1 is I + 1,
    check_terms(Cs, Mode, I1, Last, Parts1, Errs1).

checked_parts(_, C, C, true, N/A, N/A) :- compound(C), compound_name_arity(C, N, A), !.
checked_parts(Mode, C, H, B, _, Last) :-
    item_parts(Mode, C, H, B),
    (   B == true, compound(H) -> compound_name_arity(H, N, A), Last = N/A ; Last = none ).

item_result(Ok, E, I, Part, Parts, Parts1, Errs, Errs1) :-
    (   Ok == true -> Parts = [Part|Parts1], Errs = Errs1
    ;   msg_of(E, M), format(string(Msg), "item ~d: ~w", [I, M]), Parts = Parts1, Errs = [Msg|Errs1]
    ).

% read_items(+Texts, -Items): every item read from one string stream, each ended as parse_text/3
% ends it, giving item(Short, Text, Term) per item. Short: the text has at most max_nesting/1
% characters, so neither its brackets nor its term can nest deeper. Text: the item's text (trimmed)
% when it can stand for its term in a journal record, ended by " . " or inside parentheses: it does
% not end in "." and holds no "%" (no line comment); else none. Fails (the caller parses item by
% item) unless each item gives exactly one term that starts and ends within its own text, and no
% item holds a NUL or nests too deep for the reader.
read_items(Texts, Terms) :-
    max_nesting(Max),
    item_sources(Texts, Max, Srcs, Lens, Infos),
    atomics_to_string(Srcs, All),
    split_string(All, "\x0\", "", [_]),
    setup_call_cleanup(open_string(All, In), read_sources(Lens, Infos, In, 0, Terms), close(In)).

item_sources([], _, [], [], []).
item_sources([Text|Ts], Max, [Src, End|Srcs], [L|Ls], [Short-Rec|Infos]) :-
    string_length(Text, L0),
    (   L0 =< Max -> Short = true ; Short = false, catch(check_nesting(Text), _, fail) ),
    (   sub_string(Text, _, 1, 0, C), memberchk(C, [" ", "\n", "\t", "\r"])
    ->  split_string(Text, "", " \t\r\n", [Src])
    ;   Src = Text
    ),
    text_end(Src, End),
    string_length(Src, L1), string_length(End, LE), L is L1 + LE,
    (   End == " .\n", split_string(Src, "%", "", [_]) -> Rec = Src ; Rec = none ),
    item_sources(Ts, Max, Srcs, Ls, Infos).

read_sources([], [], In, _, []) :-
    catch(read_term(In, T, [syntax_errors(error), module(user)]), _, fail),
    T == end_of_file.
read_sources([L|Ls], [Short-Rec|Infos], In, Pos0, [item(Short, Rec, T)|Ts]) :-
    catch(read_term(In, T, [syntax_errors(error), module(user), term_position(TP)]), _, fail),
    T \== end_of_file,
    End is Pos0 + L,
    stream_position_data(char_count, TP, Start), Start >= Pos0,
    character_count(In, P), P =< End,
    read_sources(Ls, Infos, In, End, Ts).

% many_assert(+Parts, +Mode, -N): assert every clause (and, in "link" mode, its interactive source
% as add_source/2 would; "raw" mode, an import of an export made with --with-meta, stores every item
% as it is) and emit them as ONE assert_many record: the clauses' texts (the item's own
% text where check_terms/6 kept it, else the canonical text), each ended by " . ", in the order they
% were asserted. Taking the batch back is a rebuild of the engine.
many_assert(Parts, Mode, N) :-
    (   Mode == "link" -> ensure_dynamic(zpm_source(_, _)) ; true ),
    with_output_to(string(Text), many_assert(Parts, Mode, none, 0, N)),
    recordz(zpm_undo, rebuild),
    (   N > 0 -> recordz(zpm_records, rec(assert_many, Text)) ; true ).

% many_assert(+Parts, +Mode, +LastPI, +N0, -N): LastPI as in assert_run/4.
many_assert([], _, _, N, N).
many_assert([H-B-Text|Ps], Mode, PI0, N0, N) :-
    clause_term(H, B, C),
    (   Mode == "link", B == true, ground(H), \+ clause(user:H, true) -> New = true ; New = false ),
    assert_run(H, B, PI0, PI),
    ( Text == none -> canon(C, S) ; S = Text ),
    write(S), write(' . '),
    (   Mode == "link", \+ bookkeeping(H), ( New == true -> true ; \+ linked_copy(C) )
    ->  assertz(user:zpm_source(C, interactive)),
        write('zpm_source(('), write(S), write('), interactive) . ')
    ;   true
    ),
    N1 is N0 + 1,
    many_assert(Ps, Mode, PI, N1, N).

% linked_copy(+C): C was stored before and already has its interactive source (see add_source/2); a
% ground fact that was not stored before needs no look (New above).
linked_copy(C) :- second_copy(C), copy_term(C, C1), clause(user:zpm_source(C1, interactive), true), C1 =@= C, !.

bookkeeping(zpm_source(_, _)).
bookkeeping(tms_justification(_, _)).

% item_parts(+Mode, +Clause, -Head, -Body): clause_parts/3, except that in "raw" mode (an export made
% with --with-meta) zpm's bookkeeping facts are accepted as they are.
item_parts("raw", C, C, true) :- meta_fact(C), !.
item_parts(_, C, H, B) :- clause_parts(C, H, B).

meta_fact(C) :- nonvar(C), bookkeeping(C), check_head(C).

% import_read(+Text, +Label, +Size): read a knowledge file term by term. Directives dynamic/1,
% discontiguous/1 and op/3 take effect (op/3 for the rest of the file); each clause is checked with
% the clause rules and staged in this engine, Size clauses to a chunk, for import_chunk/2 to store;
% every problem is `Label:Line: message`. A file with zpm_source/2 facts (an export made with
% --with-meta, whose zpm_source/2 clauses are the links) is stored as it is (Meta); in any other file
% bookkeeping clauses are refused as remember_fact refuses them. Operators declared by the file are in
% force while it is read and restored afterwards, so the staged clauses are written to the journal in
% standard syntax. Staged chunks stay until the next import_read.
t_import_read(Text, Label, Size, obj([clauses-num(N), chunks-num(K), meta-bool(Meta), errors-arr(Es),
                                      directives-num(D)])) :-
    forall(recorded(zpm_import_ops, _, R), erase(R)),
    retractall(staged_chunk(_, _, _)),
    setup_call_cleanup(open_string(Text, In), import_loop(In, Label, Items, 0, D),
                       ( close(In), restore_ops )),
    ( \+ \+ memberchk(ok(zpm_source(_, _)-true-_, _), Items) -> Meta = true ; Meta = false ),
    import_parts(Items, Meta, Label, Parts, Errs),
    length(Parts, N),
    ( Meta == true -> Mode = "raw" ; Mode = "link" ),
    stage_chunks(Parts, Mode, Size, 0, K),
    findall(str(E), member(E, Errs), Es).

import_parts([], _, _, [], []).
import_parts([Item|Items], Meta, Label, Parts, Errs) :-
    (   Item = err(E) -> Parts = Parts1, Errs = [E|Errs1]
    ;   Item = ok(H-_-_, L), Meta == false, bookkeeping(H)
    ->  catch(item_parts("link", H, _, _), E0, true), msg_of(E0, M), import_err(Label, L, M, err(E)),
        Parts = Parts1, Errs = [E|Errs1]
    ;   Item = ok(Part, _), Parts = [Part|Parts1], Errs = Errs1
    ),
    import_parts(Items, Meta, Label, Parts1, Errs1).

stage_chunks([], _, _, K, K) :- !.
stage_chunks(Parts, Mode, Size, I, K) :-
    length(Take, Size),
    (   append(Take, Rest, Parts) -> Chunk = Take ; Chunk = Parts, Rest = [] ),
    assertz(staged_chunk(I, Mode, Chunk)),
    I1 is I + 1,
    stage_chunks(Rest, Mode, Size, I1, K).

% import_chunk(+I): store staged chunk I (of import_read/3) as one planned transaction.
t_import_chunk(I, obj([count-num(N)])) :-
    (   staged_chunk(I, Mode, Parts) -> true
    ;   fail_with(exec, "import chunk ~w is not staged in this engine (it was restarted); nothing more was imported", [I])
    ),
    capacity_now,
    many_assert(Parts, Mode, N).

import_loop(In, Label, Items, D0, D) :- import_loop(In, Label, none, Items, D0, D).

% import_loop(+In, +Label, +Last, -Items, +D0, -D): Last as in check_terms/6.
import_loop(In, Label, Last0, Items, D0, D) :-
    line_count(In, Line0),
    catch(read_term(In, T, [syntax_errors(error), module(user), term_position(TP)]), E, true),
    (   nonvar(E)
    ->  error_line(E, Line0, L), syntax_msg(E, M), import_err(Label, L, M, Item),
        Items = [Item|Rest], import_loop(In, Label, Last0, Rest, D0, D)
    ;   T == end_of_file -> Items = [], D = D0
    ;   ( nonvar(TP), stream_position_data(line_count, TP, L) -> true ; L = Line0 ),
        catch(( import_term(T, Last0, Last, Item0), Ok = true ), E2, true),
        (   Ok == true -> Item = Item0 ; Last = Last0, msg_of(E2, M), import_err(Label, L, M, Item) ),
        (   Item = dir -> D1 is D0 + 1, Items = Rest
        ;   Item = ok(Part) -> Items = [ok(Part, L)|Rest], D1 = D0
        ;   Items = [Item|Rest], D1 = D0
        ),
        import_loop(In, Label, Last, Rest, D1, D)
    ).

import_err(Label, L, M, err(Msg)) :- format(string(Msg), "~w:~w: ~w", [Label, L, M]).

import_term((:- D), Last, Last, dir) :- !, import_directive(D).
import_term(T, Last0, Last, ok(H-B-none)) :- check_depth(T), checked_parts("raw", T, H, B, Last0, Last).

% declare_op(+P, +T, +N): op/3 for the user module, remembering what to restore.
declare_op(P, T, N) :-
    ( is_list(N) -> Ns = N ; Ns = [N] ),
    forall(member(A, Ns), ( op_kind(T, K), ( current_op(P0, T0, user:A), op_kind(T0, K) -> true ; P0 = 0, T0 = T ),
                            recorda(zpm_import_ops, op(P0, T0, A)) )),
    op(P, T, user:N).

op_kind(T, prefix) :- memberchk(T, [fy, fx]), !.
op_kind(T, postfix) :- memberchk(T, [xf, yf]), !.
op_kind(_, infix).

restore_ops :-
    forall(recorded(zpm_import_ops, op(P, T, A), R), ( catch(op(P, T, user:A), _, true), erase(R) )).

import_directive(dynamic(Spec)) :- !, import_dynamic(Spec).
import_directive(discontiguous(_)) :- !.
import_directive(op(P, T, N)) :- !, declare_op(P, T, N).
import_directive(D) :-
    fail_with(unsafe, "directive ~q is not supported in imported files (allowed: dynamic, discontiguous, op/3)", [D]).

import_dynamic((A, B)) :- !, import_dynamic(A), import_dynamic(B).
import_dynamic([]) :- !.
import_dynamic([A|B]) :- !, import_dynamic(A), import_dynamic(B).
import_dynamic(N/A) :- atom(N), integer(A), !, functor(H, N, A), check_head(H), ensure_dynamic(H).
import_dynamic(S) :- fail_with(syntax, "dynamic(~q): expected Name/Arity", [S]).

% export(+WithMeta): the memory's own clauses (not those of kb files) as plain quoted Prolog that
% consult and import read back: a `:- dynamic(N/A).` line per predicate, then its clauses. With
% WithMeta = 0 zpm's bookkeeping (zpm_source/2, tms_justification/2) is left out.
t_export(Meta, obj([text-str(Text), clauses-num(N)])) :-
    flag(zpm_export_count, _, 0),
    with_output_to(string(Text),
      forall(( export_order(Meta, PN/PA), functor(H, PN, PA), exportable(H) ),
             ( format(":- dynamic(~q).~n", [PN/PA]),
               forall(( clause(user:H, B, Ref), \+ kb_ref(Ref) ),
                      ( write_clause(H, B), flag(zpm_export_count, K, K + 1) )) ))),
    flag(zpm_export_count, N, 0).

% export_order(+Meta, -N/A): user predicates, then (with Meta = 1) the bookkeeping ones, so an
% import asserts each clause before its links.
export_order(_, N/A) :- user_pred(N/A), \+ memberchk(N/A, [zpm_source/2, tms_justification/2]).
export_order(1, N/A) :- member(N/A, [zpm_source/2, tms_justification/2]).

% exportable(+H): the predicate has a clause of its own, or none at all (declared dynamic only).
exportable(H) :- \+ \+ ( clause(user:H, _, Ref), \+ kb_ref(Ref) ), !.
exportable(H) :- \+ clause(user:H, _).

op_(remember_many, Texts, V) :- plan_reply(t_remember_many(Texts), V), garbage_collect_clauses.
op_(import_read, [T, L, S], V) :- t_import_read(T, L, S, V).
op_(import_chunk, [I, _SourceChars], V) :- plan_reply(t_import_chunk(I), V), garbage_collect_clauses.
op_(export, [M], V) :- t_export(M, V).
