//! `options-amm price`: one evaluation from flags, or a batch of JSON lines on stdin.

use crate::decimal::{parse_fx, parse_secs};
use clap::{Args, ValueEnum};
use options_amm_pricing::{black_scholes, BsParams, Fx, Greeks, OptionKind};
use serde_json::{Map, Number, Value};
use std::io::Write;

#[derive(Clone, Copy, ValueEnum)]
pub enum Kind {
    Call,
    Put,
}

impl From<Kind> for OptionKind {
    fn from(k: Kind) -> Self {
        match k {
            Kind::Call => OptionKind::Call,
            Kind::Put => OptionKind::Put,
        }
    }
}

#[derive(Args)]
pub struct PriceArgs {
    /// Spot price of the underlying, in quote units (decimal).
    #[arg(long, required_unless_present = "batch", allow_negative_numbers = true)]
    spot: Option<String>,
    /// Strike, in quote units (decimal).
    #[arg(long, required_unless_present = "batch", allow_negative_numbers = true)]
    strike: Option<String>,
    /// Implied volatility, 0.2 = 20% a year.
    #[arg(long, required_unless_present = "batch", allow_negative_numbers = true)]
    vol: Option<String>,
    /// Continuously compounded risk-free rate, 0.05 = 5% a year.
    #[arg(long, default_value = "0", allow_negative_numbers = true)]
    rate: String,
    /// Whole seconds to expiry (a year is 31,536,000 s).
    #[arg(long, required_unless_present = "batch", allow_negative_numbers = true)]
    expiry_secs: Option<String>,
    /// Call or put.
    #[arg(long, value_enum, required_unless_present = "batch")]
    kind: Option<Kind>,
    /// Print one JSON object with keys price, delta, gamma, vega, theta.
    #[arg(long)]
    pub json: bool,
    /// Read JSON lines {spot, strike, vol, rate, expiry_secs, kind} from stdin, write one JSON
    /// line of results (or {"error": ...}) per input line.
    #[arg(long, conflicts_with_all = ["spot", "strike", "vol", "expiry_secs", "kind"])]
    batch: bool,
}

pub fn run(
    args: &PriceArgs,
    input: &mut dyn Iterator<Item = std::io::Result<String>>,
    out: &mut dyn Write,
) -> Result<(), String> {
    let io = |e: std::io::Error| e.to_string();
    if args.batch {
        for line in input {
            let line = line.map_err(io)?;
            // Every line gets an answer, a blank one included, so answers pair with lines.
            let parsed = if line.trim().is_empty() {
                Err("empty line: expected one JSON object".to_string())
            } else {
                batch_line(&line)
            };
            let value = match parsed {
                Ok(g) => greeks_json(&g),
                Err(e) => Value::Object(Map::from_iter([("error".to_string(), Value::from(e))])),
            };
            writeln!(out, "{value}").map_err(io)?;
        }
        return Ok(());
    }
    let field = |v: &Option<String>, name: &str| v.clone().ok_or(format!("--{name} is required"));
    let params = BsParams {
        spot: parse_fx(&field(&args.spot, "spot")?)?,
        strike: parse_fx(&field(&args.strike, "strike")?)?,
        vol: parse_fx(&field(&args.vol, "vol")?)?,
        rate: parse_fx(&args.rate)?,
        expiry_secs: parse_secs(&field(&args.expiry_secs, "expiry-secs")?)?,
    };
    let kind: OptionKind = args.kind.ok_or("--kind is required")?.into();
    let g = black_scholes(kind, &params).map_err(|e| e.to_string())?;
    if args.json {
        writeln!(out, "{}", greeks_json(&g)).map_err(io)?;
    } else {
        write_human(out, kind, &params, &g).map_err(io)?;
    }
    Ok(())
}

/// One batch line: numbers may be JSON numbers or decimal strings.
fn batch_line(line: &str) -> Result<Greeks, String> {
    let v: Value = serde_json::from_str(line).map_err(|e| format!("invalid JSON: {e}"))?;
    let obj = v.as_object().ok_or("expected a JSON object")?;
    let text = |key: &str| -> Result<String, String> {
        match obj.get(key) {
            Some(Value::Number(n)) => Ok(n.to_string()),
            Some(Value::String(s)) => Ok(s.clone()),
            Some(_) => Err(format!("{key} must be a number")),
            None => Err(format!("missing {key}")),
        }
    };
    let kind = match obj.get("kind").and_then(Value::as_str) {
        Some("call") => OptionKind::Call,
        Some("put") => OptionKind::Put,
        _ => return Err("kind must be \"call\" or \"put\"".into()),
    };
    let rate = if obj.contains_key("rate") { parse_fx(&text("rate")?)? } else { Fx::ZERO };
    let params = BsParams {
        spot: parse_fx(&text("spot")?)?,
        strike: parse_fx(&text("strike")?)?,
        vol: parse_fx(&text("vol")?)?,
        rate,
        expiry_secs: parse_secs(&text("expiry_secs")?)?,
    };
    black_scholes(kind, &params).map_err(|e| e.to_string())
}

fn number(x: Fx) -> Value {
    // Fx's Display is an exact decimal, which is valid JSON number text.
    Value::Number(x.to_string().parse::<Number>().expect("Fx prints as a decimal number"))
}

fn greeks_json(g: &Greeks) -> Value {
    Value::Object(Map::from_iter([
        ("price".to_string(), number(g.price)),
        ("delta".to_string(), number(g.delta)),
        ("gamma".to_string(), number(g.gamma)),
        ("vega".to_string(), number(g.vega)),
        ("theta".to_string(), number(g.theta)),
    ]))
}

fn write_human(
    out: &mut dyn Write,
    kind: OptionKind,
    p: &BsParams,
    g: &Greeks,
) -> std::io::Result<()> {
    let name = match kind {
        OptionKind::Call => "call",
        OptionKind::Put => "put",
    };
    let days = Fx::from_num(p.expiry_secs) / Fx::from_num(86_400);
    writeln!(
        out,
        "{name}: spot {} strike {} vol {} rate {} expiry {} s ({:.4} days)",
        p.spot, p.strike, p.vol, p.rate, p.expiry_secs, days
    )?;
    writeln!(out, "  price  {:>28.12}", g.price)?;
    writeln!(out, "  delta  {:>28.12}", g.delta)?;
    writeln!(out, "  gamma  {:>28.12}", g.gamma)?;
    writeln!(out, "  vega   {:>28.12}  per 1.00 vol ({:.6} per vol point)", g.vega, g.vega / 100)?;
    writeln!(out, "  theta  {:>28.12}  per year ({:.6} per day)", g.theta, g.theta / 365)?;
    Ok(())
}
