% JSON writer (RFC 8259) for replies: obj/arr/str/num/bool terms written as compact text.
% Hand-written on purpose: SWI-Prolog's library(json) (bundled in swipl-wasm) is faster, but even with
% width(0) it puts a space before nested objects and arrays and after commas in arrays, and writes
% U+0008, U+000C and "</" as \b, \f and "<\/", so every reply would change byte for byte.

% json_text(+Term, -Text): the compact JSON text of Term (obj/arr/str/num/bool/true/false/null),
% built as a list of pieces joined once: writing piece by piece to a stream cost half as much again.
json_text(T, Text) :- phrase(json_(T), Pieces), atomics_to_string(Pieces, Text).

json_(obj(Pairs)) --> !, ['{'], json_pairs(Pairs), ['}'].
json_(arr(Items)) --> !, ['['], json_items(Items), [']'].
json_(str(S)) --> !, ( { blob_string(S, K) } -> ['{"\\u0000":', K, '}'] ; json_str(S) ).
json_(num(N)) --> !, ( { integer(N) } -> [N] ; json_float(N) ).
json_(bool(B)) --> !, [B].
json_(true) --> !, [true].
json_(false) --> !, [false].
json_(null) --> !, [null].
json_(X) --> json_str(X).

% Keys are names zpm's code chooses or Prolog variable names (answers): an atom key has no character
% that needs escaping.
json_pairs([]) --> [].
json_pairs([K-V|T]) -->
    ( { atom(K) } -> ['"', K, '":'] ; json_str(K), [':'] ),
    json_(V),
    ( { T == [] } -> [] ; [','], json_pairs(T) ).

json_items([]) --> [].
json_items([X|T]) --> json_(X), ( { T == [] } -> [] ; [','], json_items(T) ).

json_str(X) -->
    { (   string(X) -> S = X ; atom(X) -> atom_string(X, S) ; format(string(S), "~w", [X]) ),
      json_escape(S, E) },
    ['"', E, '"'].

json_float(F) -->
    { format(atom(A), "~w", [F]) },
    ( { sub_atom(A, _, _, _, 'Inf') ; sub_atom(A, _, _, _, 'NaN') } -> json_str(A) ; [A] ).

% blob_string(+S, -K): under rpc/4, a string over 64 KiB goes to the blobs (as the K-th) instead of
% the JSON text; the text gets the placeholder {"\u0000":K}.
blob_string(S, K) :-
    string(S), string_length(S, L), L > 65536,
    nb_current(zpm_blobs, on),
    flag(zpm_blobs, K, K + 1),
    recordz(zpm_blobs, S).

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

