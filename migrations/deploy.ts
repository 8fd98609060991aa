// Deploys an options_amm market on a fresh cluster: governance config, market (with its vaults
// and the senior/junior tranches' share mints) and a first board, from a JSON parameter file.
//
//   DEPLOY_PARAMS    parameter file (default: params.example.json beside this script)
//   OPTIONS_AMM_IDL  program IDL   (default: ../app/idl/options_amm.json from this script)
//
// Paths given in the environment are relative to the working directory; the defaults are
// relative to this file, so they hold under `anchor migrate` (which runs from .anchor/) too.
// Every step is idempotent: an account that already exists is left alone and reported.
// The provider's wallet pays, and is the config's creator and authority.

import * as fs from "fs";
import * as path from "path";
import { AnchorProvider, BN, Program, type Idl, type IdlType, type IdlTypeDef } from "@anchor-lang/core";
import { PublicKey, SystemProgram, Transaction } from "@solana/web3.js";

const TOKEN_PROGRAM_ID = new PublicKey("TokenkegQfeZyiNwAJbNbGKPFXCWuBvf9Ss623VQ5DA");
const ORACLE_PYTH_LEGACY = 0;
const ORACLE_PYTH_PULL = 1;
const MAX_STRIKES = 8;
const SENIOR = 0;
const JUNIOR = 1;

interface DeployParams {
  guardian: PublicKey;
  underlyingMint: PublicKey;
  quoteMint: PublicKey;
  oracle: PublicKey;
  oracleKind: number;
  oracleFeedId: number[];
  underlyingTokenProgram: PublicKey;
  quoteTokenProgram: PublicKey;
  params?: unknown; // RiskParams, converted against the IDL when used
  board?: { expiryTs: number; strikes: { strikeMicro: BN; baseVolMicro: BN }[] };
}

type Json = Record<string, unknown>;

function fail(msg: string): never {
  throw new Error(`deploy: ${msg}`);
}

function resolvePath(envName: string, fallback: string): string {
  const given = process.env[envName];
  return given ? path.resolve(given) : path.resolve(__dirname, fallback);
}

function readJson(file: string, what: string): unknown {
  if (!fs.existsSync(file)) fail(`${what} not found: ${file}`);
  try {
    return JSON.parse(fs.readFileSync(file, "utf8"));
  } catch (e) {
    fail(`${what} ${file} is not valid JSON: ${(e as Error).message}`);
  }
}

function isObject(v: unknown): v is Json {
  return typeof v === "object" && v !== null && !Array.isArray(v);
}

function pubkey(v: unknown, at: string): PublicKey {
  try {
    if (typeof v === "string") return new PublicKey(v);
  } catch {
    // fall through
  }
  return fail(`${at}: not a base58 public key: ${JSON.stringify(v)}`);
}

function hex32(v: unknown, at: string): number[] {
  const s = typeof v === "string" ? v.replace(/^0x/, "") : "";
  if (!/^[0-9a-fA-F]{64}$/.test(s)) fail(`${at}: expected 32 bytes of hex, got ${JSON.stringify(v)}`);
  return Array.from(Buffer.from(s, "hex"));
}

/** An exact decimal (number or string) times 10^digits, as an integer: no float rounding. */
function scaled(v: unknown, digits: number, at: string): BN {
  const s = typeof v === "number" || typeof v === "string" ? String(v) : "";
  const m = /^(\d+)(?:\.(\d+))?$/.exec(s);
  if (!m) fail(`${at}: expected a non-negative decimal, got ${JSON.stringify(v)}`);
  const frac = m[2] ?? "";
  if (frac.length > digits) fail(`${at}: at most ${digits} decimals, got ${s}`);
  return new BN(m[1] + frac.padEnd(digits, "0"));
}

function parseParams(raw: unknown): DeployParams {
  if (!isObject(raw)) fail("the parameter file must hold a JSON object");
  const known = [
    "guardian", "underlyingMint", "quoteMint", "oracle", "oracleKind", "oracleFeedId",
    "underlyingTokenProgram", "quoteTokenProgram", "params", "board",
  ];
  for (const k of Object.keys(raw)) {
    if (!known.includes(k) && !k.startsWith("_")) fail(`unknown field "${k}" in the parameter file`);
  }
  const oracleKind = raw.oracleKind;
  if (oracleKind !== ORACLE_PYTH_LEGACY && oracleKind !== ORACLE_PYTH_PULL) {
    fail(`oracleKind: 0 (legacy Pyth) or 1 (Pyth pull, PriceUpdateV2), got ${JSON.stringify(oracleKind)}`);
  }
  let oracleFeedId = new Array<number>(32).fill(0);
  if (oracleKind === ORACLE_PYTH_PULL) oracleFeedId = hex32(raw.oracleFeedId, "oracleFeedId");
  else if (raw.oracleFeedId !== undefined) fail("oracleFeedId: only for oracleKind 1");

  let board: DeployParams["board"];
  if (raw.board !== undefined) {
    const b = raw.board;
    if (!isObject(b) || !Array.isArray(b.strikes)) fail("board: expected { expiryTs, strikes: [...] }");
    const expiryTs = b.expiryTs;
    if (typeof expiryTs !== "number" || !Number.isSafeInteger(expiryTs)) fail("board.expiryTs: integer unix seconds");
    if (expiryTs > 1e11) fail("board.expiryTs: looks like milliseconds; give unix seconds");
    if (expiryTs <= Date.now() / 1000) fail(`board.expiryTs ${expiryTs} is in the past`);
    const n = b.strikes.length;
    if (n < 1 || n > MAX_STRIKES) fail(`board.strikes: 1 to ${MAX_STRIKES} strikes, got ${n}`);
    // strike: quote units per underlying (150.25); baseVolPct: annual vol in percent (80 = 0.80).
    const strikes = b.strikes.map((s: unknown, i) => {
      if (!isObject(s)) fail(`board.strikes[${i}]: expected { strike, baseVolPct }`);
      return {
        strikeMicro: scaled(s.strike, 6, `board.strikes[${i}].strike`),
        baseVolMicro: scaled(s.baseVolPct, 4, `board.strikes[${i}].baseVolPct`), // 1% = 10_000 micro
      };
    });
    strikes.forEach((s, i) => {
      const prev = strikes[i - 1];
      if (prev && !s.strikeMicro.gt(prev.strikeMicro)) fail("board.strikes: strikes must strictly increase");
    });
    board = { expiryTs, strikes };
  }

  return {
    guardian: pubkey(raw.guardian, "guardian"),
    underlyingMint: pubkey(raw.underlyingMint, "underlyingMint"),
    quoteMint: pubkey(raw.quoteMint, "quoteMint"),
    oracle: pubkey(raw.oracle, "oracle"),
    oracleKind,
    oracleFeedId,
    underlyingTokenProgram:
      raw.underlyingTokenProgram === undefined ? TOKEN_PROGRAM_ID : pubkey(raw.underlyingTokenProgram, "underlyingTokenProgram"),
    quoteTokenProgram:
      raw.quoteTokenProgram === undefined ? TOKEN_PROGRAM_ID : pubkey(raw.quoteTokenProgram, "quoteTokenProgram"),
    params: raw.params,
    board,
  };
}

const INT_BITS: Record<string, [bits: number, signed: boolean]> = {
  u8: [8, false], i8: [8, true], u16: [16, false], i16: [16, true], u32: [32, false], i32: [32, true],
  u64: [64, false], i64: [64, true], u128: [128, false], i128: [128, true],
};

/**
 * Converts plain JSON to the values Anchor's coder encodes for `ty` (BN for 64/128-bit integers,
 * PublicKey for pubkeys), checking every field against the IDL: a missing, unknown or
 * out-of-range field fails with its path instead of a late encoding error.
 */
function fromJson(ty: IdlType, v: unknown, at: string, types: IdlTypeDef[]): unknown {
  if (typeof ty === "string") {
    const int = INT_BITS[ty];
    if (int) {
      const [bits, signed] = int;
      const ok = (typeof v === "number" && Number.isSafeInteger(v)) || (typeof v === "string" && /^-?\d+$/.test(v));
      if (!ok) fail(`${at}: expected an integer (${ty}), got ${JSON.stringify(v)}`);
      const n = new BN(String(v));
      const min = signed ? new BN(2).pow(new BN(bits - 1)).neg() : new BN(0);
      const max = new BN(2).pow(new BN(signed ? bits - 1 : bits)).subn(1);
      if (n.lt(min) || n.gt(max)) fail(`${at}: ${String(v)} out of range for ${ty}`);
      return bits > 32 ? n : n.toNumber();
    }
    if (ty === "bool") return typeof v === "boolean" ? v : fail(`${at}: expected a boolean`);
    if (ty === "pubkey") return pubkey(v, at);
    return fail(`${at}: IDL type ${ty} is not supported by this script`);
  }
  if ("array" in ty || "vec" in ty) {
    const [inner, len] = "array" in ty ? ty.array : [ty.vec, undefined];
    if (!Array.isArray(v) || (typeof len === "number" && v.length !== len)) {
      fail(`${at}: expected an array${typeof len === "number" ? ` of ${len}` : ""}`);
    }
    return v.map((x, i) => fromJson(inner, x, `${at}[${i}]`, types));
  }
  if ("option" in ty) return v === null || v === undefined ? null : fromJson(ty.option, v, at, types);
  if ("defined" in ty) {
    const def = types.find((t) => t.name === ty.defined.name);
    if (def?.type.kind === "enum") {
      // A fieldless enum: its variant by index (as the parameter file gives oracleKind) or by
      // name; Anchor's coder takes { variantInCamelCase: {} }.
      const variants = def.type.variants.map((x) => x.name);
      const name =
        typeof v === "number" && Number.isInteger(v) && v >= 0 && v < variants.length
          ? variants[v]
          : typeof v === "string"
            ? variants.find((x) => x.toLowerCase() === v.toLowerCase())
            : undefined;
      if (name === undefined) {
        return fail(`${at}: expected one of ${variants.join(", ")} (or its index), got ${JSON.stringify(v)}`);
      }
      return { [name.charAt(0).toLowerCase() + name.slice(1)]: {} };
    }
    const fields = def?.type.kind === "struct" ? def.type.fields : undefined;
    if (!fields || !fields.every((f): f is { name: string; type: IdlType } => isObject(f) && "name" in f)) {
      return fail(`${at}: IDL type ${ty.defined.name} is not a struct with named fields`);
    }
    if (!isObject(v)) fail(`${at || "args"}: expected an object (${ty.defined.name})`);
    const names = fields.map((f) => f.name);
    const extra = Object.keys(v).filter((k) => !names.includes(k));
    if (extra.length > 0) fail(`${at || "args"}: unknown field(s) ${extra.join(", ")} for ${ty.defined.name}`);
    const out: Json = {};
    for (const f of fields) {
      const fAt = at ? `${at}.${f.name}` : f.name;
      if (!(f.name in v)) fail(`${fAt}: missing (${ty.defined.name})`);
      out[f.name] = fromJson(f.type, v[f.name], fAt, types);
    }
    return out;
  }
  return fail(`${at}: IDL type ${JSON.stringify(ty)} is not supported by this script`);
}

/**
 * Signs `tx` with the wallet at a fresh blockhash, sends it, and waits for `confirmed` by polling
 * the signature's status (no websocket: many RPC providers offer none, and a subscription made
 * after the transaction landed may never hear of it). A transaction whose blockhash expired
 * before it landed can never land: it is signed again at a new blockhash and resent (3 tries).
 * A failed transaction throws with the program's logs.
 */
async function send(provider: AnchorProvider, tx: Transaction): Promise<string> {
  const conn = provider.connection;
  for (let attempt = 1; ; attempt++) {
    const { blockhash, lastValidBlockHeight } = await conn.getLatestBlockhash("confirmed");
    tx.recentBlockhash = blockhash;
    tx.feePayer = provider.wallet.publicKey;
    tx.signatures = [];
    const signed = await provider.wallet.signTransaction(tx);
    const sig = await conn.sendRawTransaction(signed.serialize(), { preflightCommitment: "confirmed" });
    for (;;) {
      const status = (await conn.getSignatureStatuses([sig])).value[0];
      if (status?.err) {
        const t = await conn.getTransaction(sig, { commitment: "confirmed", maxSupportedTransactionVersion: 0 });
        const logs = (t?.meta?.logMessages ?? []).join("\n");
        throw new Error(`transaction ${sig} failed: ${JSON.stringify(status.err)}\n${logs}`);
      }
      if (status?.confirmationStatus === "confirmed" || status?.confirmationStatus === "finalized") {
        return sig;
      }
      if ((await conn.getBlockHeight("confirmed")) > lastValidBlockHeight) break;
      await new Promise((r) => setTimeout(r, 400));
    }
    if (attempt >= 3) fail(`transaction ${sig} expired ${attempt} times before it landed`);
    console.warn(`transaction ${sig} expired before it landed: signing again (try ${attempt + 1})`);
  }
}

async function deploy(provider: AnchorProvider): Promise<void> {
  const paramsFile = resolvePath("DEPLOY_PARAMS", "params.example.json");
  const idlFile = resolvePath("OPTIONS_AMM_IDL", "../app/idl/options_amm.json");
  const p = parseParams(readJson(paramsFile, "parameter file"));
  const idl = readJson(idlFile, "IDL (the committed app/idl/options_amm.json, or set OPTIONS_AMM_IDL)") as Idl;
  if (typeof idl.address !== "string") fail(`${idlFile} has no "address": not an Anchor >= 0.30 IDL`);

  const program = new Program(idl, provider);
  const conn = provider.connection;
  const me = provider.wallet.publicKey;
  const id = program.programId;
  const pda = (...seeds: (Buffer | Uint8Array)[]): PublicKey => PublicKey.findProgramAddressSync(seeds, id)[0];
  const exists = async (key: PublicKey): Promise<boolean> => (await conn.getAccountInfo(key)) !== null;

  const config = pda(Buffer.from("config"), me.toBuffer());
  const market = pda(Buffer.from("market"), config.toBuffer(), p.underlyingMint.toBuffer(), p.quoteMint.toBuffer());
  const underlyingVault = pda(Buffer.from("underlying_vault"), market.toBuffer());
  const quoteVault = pda(Buffer.from("quote_vault"), market.toBuffer());
  const seniorShareMint = pda(Buffer.from("shares"), market.toBuffer(), Buffer.from([SENIOR]));
  const juniorShareMint = pda(Buffer.from("shares"), market.toBuffer(), Buffer.from([JUNIOR]));
  let board: PublicKey | undefined;
  if (p.board) {
    const expiry = Buffer.alloc(8);
    expiry.writeBigInt64LE(BigInt(p.board.expiryTs));
    board = pda(Buffer.from("board"), market.toBuffer(), expiry);
  }

  console.log(`cluster ${conn.rpcEndpoint}, program ${id.toBase58()}, wallet ${me.toBase58()}`);
  console.log(`parameters ${paramsFile}, IDL ${idlFile}`);
  const programInfo = await conn.getAccountInfo(id);
  if (!programInfo?.executable) fail(`program ${id.toBase58()} is not deployed on this cluster`);

  // Everything the market needs is checked before the first transaction.
  const marketExists = await exists(market);
  let marketArgs: unknown;
  if (!marketExists) {
    if (p.params === undefined) {
      fail(
        `"params" is missing from ${paramsFile}: the market's RiskParams are taken verbatim from it. ` +
          'Copy them from `options-amm market params --json` into the file\'s "params" field.',
      );
    }
    const ix = program.idl.instructions.find((i) => i.name === "initializeMarket");
    const argsType = ix?.args[0]?.type;
    if (!argsType) fail("the IDL has no initialize_market(args) instruction");
    marketArgs = fromJson(
      argsType,
      { oracleKind: p.oracleKind, oracleFeedId: p.oracleFeedId, params: p.params },
      "",
      program.idl.types ?? [],
    );
    for (const [name, mint, tokenProgram] of [
      ["underlyingMint", p.underlyingMint, p.underlyingTokenProgram],
      ["quoteMint", p.quoteMint, p.quoteTokenProgram],
    ] as const) {
      const info = await conn.getAccountInfo(mint);
      if (!info) fail(`${name} ${mint.toBase58()} does not exist on this cluster`);
      if (!info.owner.equals(tokenProgram)) {
        fail(`${name} ${mint.toBase58()} is owned by ${info.owner.toBase58()}, not ${tokenProgram.toBase58()}; set the token program`);
      }
    }
    if (!(await exists(p.oracle))) fail(`oracle ${p.oracle.toBase58()} does not exist on this cluster`);
  }

  // 1. Governance config: the wallet is creator and first authority.
  const configInfo = await conn.getAccountInfo(config);
  if (configInfo) {
    const c = program.coder.accounts.decode<{ authority: PublicKey; guardian: PublicKey }>("config", configInfo.data);
    if (!c.authority.equals(me)) {
      fail(`config ${config.toBase58()} exists but its authority is ${c.authority.toBase58()}, not this wallet`);
    }
    if (!c.guardian.equals(p.guardian)) {
      console.warn(`warning: config guardian is ${c.guardian.toBase58()}, not ${p.guardian.toBase58()} (left unchanged)`);
    }
    console.log(`[1/3] config ${config.toBase58()} exists: skipped`);
  } else {
    const tx = await program.methods
      .initializeConfig(p.guardian)
      .accountsStrict({ payer: me, creator: me, config, systemProgram: SystemProgram.programId })
      .transaction();
    const sig = await send(provider, tx);
    console.log(`[1/3] config ${config.toBase58()} created (guardian ${p.guardian.toBase58()}): ${sig}`);
  }

  // 2. Market, its vaults and both tranches' share mints.
  if (marketExists) {
    console.log(`[2/3] market ${market.toBase58()} exists: skipped`);
  } else {
    const tx = await program.methods
      .initializeMarket(marketArgs)
      .accountsStrict({
        payer: me,
        authority: me,
        config,
        underlyingMint: p.underlyingMint,
        quoteMint: p.quoteMint,
        market,
        underlyingVault,
        quoteVault,
        seniorShareMint,
        juniorShareMint,
        oracle: p.oracle,
        underlyingTokenProgram: p.underlyingTokenProgram,
        quoteTokenProgram: p.quoteTokenProgram,
        systemProgram: SystemProgram.programId,
      })
      .transaction();
    const sig = await send(provider, tx);
    console.log(`[2/3] market ${market.toBase58()} created with senior and junior tranches: ${sig}`);
  }

  // 3. First board.
  if (!p.board || !board) {
    console.log("[3/3] no board in the parameter file: skipped");
  } else if (await exists(board)) {
    console.log(`[3/3] board ${board.toBase58()} (expiry ${p.board.expiryTs}) exists: skipped`);
  } else {
    const { strikes } = p.board;
    const tx = await program.methods
      .createBoard(new BN(p.board.expiryTs), strikes)
      .accountsStrict({ payer: me, authority: me, config, market, board, systemProgram: SystemProgram.programId })
      .transaction();
    const sig = await send(provider, tx);
    console.log(`[3/3] board ${board.toBase58()} (expiry ${p.board.expiryTs}, ${strikes.length} strikes) created: ${sig}`);
  }

  const addresses: Record<string, string> = {
    program: id.toBase58(),
    config: config.toBase58(),
    authority: me.toBase58(),
    market: market.toBase58(),
    underlyingVault: underlyingVault.toBase58(),
    quoteVault: quoteVault.toBase58(),
    seniorShareMint: seniorShareMint.toBase58(),
    juniorShareMint: juniorShareMint.toBase58(),
  };
  if (board) addresses.board = board.toBase58();
  console.log(JSON.stringify(addresses, null, 2));
}

// Run directly (`npm run deploy`): provider from ANCHOR_PROVIDER_URL and ANCHOR_WALLET.
if (require.main === module) {
  Promise.resolve()
    .then(() => deploy(AnchorProvider.env()))
    .catch((e: unknown) => {
      console.error(e instanceof Error ? e.message : e);
      process.exit(1);
    });
}

// `anchor migrate` requires this module and calls it with the workspace's provider.
export = deploy;
