% JSON writer (RFC 8259) for replies: obj/arr/str/num/bool terms written as compact text.
% Hand-written on purpose: SWI-Prolog's library(json) (bundled in swipl-wasm) is faster, but even with
% width(0) it puts a space before nested objects and arrays and after commas in arrays, and writes
% U+0008, U+000C and "</" as \b, \f and "<\/", so every reply would change byte for byte.

json_write(obj(Pairs)) :- !, write('{'), json_pairs(Pairs), write('}').
json_write(arr(Items)) :- !, write('['), json_items(Items), write(']').
json_write(str(S)) :- !, ( blob_string(S) -> true ; json_string(S) ).
json_write(num(N)) :- !, ( integer(N) -> write(N) ; json_float(N) ).
json_write(bool(B)) :- !, write(B).
json_write(true) :- !, write(true).
json_write(false) :- !, write(false).
json_write(null) :- !, write(null).
json_write(raw(T)) :- !, write(T).
json_write(X) :- json_string(X).

% blob_string(+S): under rpc/4, a string over 64 KiB goes to the blobs instead of the JSON text.
blob_string(S) :-
    string(S), string_length(S, L), L > 65536,
    nb_current(zpm_blobs, on),
    flag(zpm_blobs, K, K + 1),
    recordz(zpm_blobs, S),
    format("{\"\\u0000\":~d}", [K]).

json_float(F) :- format(atom(A), "~w", [F]), ( sub_atom(A, _, _, _, 'Inf') ; sub_atom(A, _, _, _, 'NaN') ), !, json_string(A).
json_float(F) :- format("~w", [F]).

json_pairs([]).
json_pairs([K-V|T]) :- json_string(K), write(':'), json_write(V), ( T == [] -> true ; write(','), json_pairs(T) ).
json_items([]).
json_items([X|T]) :- json_write(X), ( T == [] -> true ; write(','), json_items(T) ).

json_string(X) :-
    (   string(X) -> S = X ; atom(X) -> atom_string(X, S) ; format(string(S), "~w", [X]) ),
    json_escape(S, E),
    put_char('"'), write(E), put_char('"').

% json_escape(+S, -E): whole-string replacements (C speed); per-code work only for rare controls.
json_escape(S0, E) :-
    json_specials(Sp),
    split_string(S0, Sp, "", [_]),
    \+ sub_string(S0, _, _, _, "\x0\"), !,
    E = S0.
json_escape(S0, E) :-
    foldl(replace_all, ["\\"-"\\\\", "\""-"\\\"", "\n"-"\\n", "\r"-"\\r", "\t"-"\\t"], S0, S1),
    numlist(1, 31, Cs0), string_codes(Ctrl, Cs0), string_codes(Nul, [0]),
    (   split_string(S1, Ctrl, "", [_]), \+ sub_string(S1, _, _, _, Nul)
    ->  E = S1
    ;   string_codes(S1, Cs), with_output_to(string(E), forall(member(C, Cs), ctrl_code(C)))
    ).

% json_specials(-S): the characters json_escape/2 rewrites, other than U+0000.
json_specials("\\\"\x1\\x2\\x3\\x4\\x5\\x6\\x7\\x8\\x9\\xA\\xB\\xC\\xD\\xE\\xF\\x10\\x11\\x12\\x13\\x14\\x15\\x16\\x17\\x18\\x19\\x1A\\x1B\\x1C\\x1D\\x1E\\x1F\").

ctrl_code(C) :- C < 32, !, Hi is C // 16, Lo is C mod 16, format("\\u00~16r~16r", [Hi, Lo]).
ctrl_code(C) :- put_code(C).

% replace_all(+From-To, +S0, -S): every From (one character) in S0 replaced by To.
replace_all(From-To, S0, S) :-
    split_string(S0, From, "", Parts),
    (   Parts = [_] -> S = S0
    ;   Parts = [P|Ps], joined(Ps, To, L), atomics_to_string([P|L], S)
    ).

joined([], _, []).
joined([P|Ps], Sep, [Sep, P|L]) :- joined(Ps, Sep, L).

