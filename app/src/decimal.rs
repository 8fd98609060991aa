//! Decimal text <-> engine fixed point, with no binary floating point on the way.

use options_amm_pricing::Fx;

/// Parses a decimal such as `100`, `-0.05`, `2.5e-3` or `1E6` into `Fx` (rounded to nearest).
pub fn parse_fx(text: &str) -> Result<Fx, String> {
    let t = text.trim();
    let bad = || format!("not a decimal number: {text:?}");
    let (mantissa, exponent) = match t.find(['e', 'E']) {
        Some(i) => (&t[..i], t[i + 1..].parse::<i32>().map_err(|_| bad())?),
        None => (t, 0),
    };
    let (negative, digits) = match mantissa.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, mantissa.strip_prefix('+').unwrap_or(mantissa)),
    };
    let (int_part, frac_part) = digits.split_once('.').unwrap_or((digits, ""));
    if int_part.is_empty() && frac_part.is_empty()
        || !int_part.bytes().chain(frac_part.bytes()).all(|b| b.is_ascii_digit())
        || exponent.unsigned_abs() > 40
    {
        return Err(bad());
    }
    // Shift the decimal point by the exponent.
    let all: String = format!("{int_part}{frac_part}");
    let point = int_part.len() as i64 + exponent as i64;
    let normalized = if point <= 0 {
        format!("0.{}{}", "0".repeat((-point) as usize), all)
    } else if point as usize >= all.len() {
        format!("{}{}", all, "0".repeat(point as usize - all.len()))
    } else {
        format!("{}.{}", &all[..point as usize], &all[point as usize..])
    };
    let value: Fx = normalized.parse().map_err(|_| format!("number out of range: {text:?}"))?;
    Ok(if negative { -value } else { value })
}

/// Whole seconds (no fraction, no sign).
pub fn parse_secs(text: &str) -> Result<u64, String> {
    text.trim().parse::<u64>().map_err(|_| format!("not a whole number of seconds: {text:?}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn decimals_with_exponents_parse_exactly() {
        assert_eq!(parse_fx("100").unwrap(), Fx::from_num(100));
        assert_eq!(parse_fx("2.5e-1").unwrap(), Fx::from_num(0.25));
        assert_eq!(parse_fx("1E3").unwrap(), Fx::from_num(1000));
        assert_eq!(parse_fx("-0.5").unwrap(), Fx::from_num(-0.5));
        assert_eq!(parse_fx(".5").unwrap(), Fx::from_num(0.5));
        assert_eq!(parse_fx("0.05").unwrap(), "0.05".parse::<Fx>().unwrap());
    }

    #[test]
    fn garbage_and_out_of_range_are_refused() {
        for bad in ["", "abc", "1.2.3", "1e", "--1", "1e99", "99999999999999999999999"] {
            assert!(parse_fx(bad).is_err(), "{bad}");
        }
        assert!(parse_secs("1.5").is_err());
        assert!(parse_secs("-1").is_err());
    }
}
