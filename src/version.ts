/** The program version: deno.json is the single source of truth. */
import config from "../deno.json" with { type: "json" };

/** zpm's version, e.g. "0.1.0". */
export const VERSION: string = config.version;
