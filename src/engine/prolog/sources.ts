/**
 * The engine's Prolog sources (module `zpm`), in load order. Text imports put them in the module
 * graph, so `deno compile` and `deno bundle` embed them and nothing is read from disk at run time.
 */
import module from "./module.pl" with { type: "text" };
import rpc from "./rpc.pl" with { type: "text" };
import parse from "./parse.pl" with { type: "text" };
import sandbox from "./sandbox.pl" with { type: "text" };
import render from "./render.pl" with { type: "text" };
import records from "./records.pl" with { type: "text" };
import plan from "./plan.pl" with { type: "text" };
import capacity from "./capacity.pl" with { type: "text" };
import knowledge from "./knowledge.pl" with { type: "text" };
import queries from "./queries.pl" with { type: "text" };
import loading from "./loading.pl" with { type: "text" };
import ops from "./ops.pl" with { type: "text" };
import json from "./json.pl" with { type: "text" };
import refactor from "./refactor.pl" with { type: "text" };
import describe from "./describe.pl" with { type: "text" };
import tms from "./tms.pl" with { type: "text" };
import bulk from "./bulk.pl" with { type: "text" };

/** The source files in load order; `module.pl` (the module declaration) comes first. */
export const PROLOG_SOURCES: readonly string[] = [
  module,
  rpc,
  parse,
  sandbox,
  render,
  records,
  plan,
  capacity,
  knowledge,
  queries,
  loading,
  ops,
  json,
  refactor,
  describe,
  tms,
  bulk,
];

/**
 * All sources as one text, loaded as the single file `/zpm/zpm.pl`. One load keeps the module
 * declaration in force for every clause, and lets `op_/3` (declared discontiguous) have clauses in
 * several files; consulting the files one by one would redefine `op_/3` with each file.
 */
export const ZPM_PROLOG: string = PROLOG_SOURCES.join("\n");
