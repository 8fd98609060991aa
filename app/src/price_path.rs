//! `simulate --price-path FILE`: a price history to replay instead of a generated path.
//!
//! The file is CSV, one print a line: `unix_seconds,price` (seconds since the epoch, whole; the
//! price in quote per whole underlying, a plain decimal). The first line may be a header (a
//! first field without a digit); blank lines are skipped. Timestamps must strictly
//! increase, prices lie in the pricing engine's domain (1e-6 to 1e9), gaps between prints are at
//! most 14 days (a board's life), and the file holds 2 to 10,000 prints. Anything else is refused
//! with the line number and what is wrong with it.

/// One print of the history.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Print {
    pub unix_seconds: i64,
    pub price: f64,
}

/// The most prints a replay takes (a year of hourly prints is 8,760).
pub const MAX_PRINTS: usize = 10_000;
/// The longest gap between two prints: the life of the boards the simulation lists.
pub const MAX_GAP_SECS: i64 = 14 * 86_400;
const MIN_PRICE: f64 = 1e-6;
const MAX_PRICE: f64 = 1e9;

/// Reads `text` (the file's contents) as a price path; errors name the 1-based line.
pub fn parse(text: &str) -> Result<Vec<Print>, String> {
    let mut prints: Vec<Print> = Vec::new();
    for (i, raw) in text.lines().enumerate() {
        let n = i + 1;
        let line = raw.trim();
        if line.is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.split(',').map(str::trim).collect();
        if n == 1 && !fields[0].contains(|c: char| c.is_ascii_digit()) {
            continue; // the header: a first field without a digit
        }
        let [secs, price] = fields[..] else {
            return Err(format!(
                "line {n}: expected 2 fields (unix_seconds,price), found {}",
                fields.len()
            ));
        };
        let unix_seconds: i64 = secs
            .parse()
            .map_err(|_| format!("line {n}: unix_seconds {secs:?} is not a whole number"))?;
        let price: f64 =
            price.parse().map_err(|_| format!("line {n}: price {price:?} is not a number"))?;
        if !price.is_finite() || !(MIN_PRICE..=MAX_PRICE).contains(&price) {
            return Err(format!("line {n}: price {price} is outside 1e-6 to 1e9"));
        }
        if let Some(last) = prints.last() {
            if unix_seconds <= last.unix_seconds {
                return Err(format!(
                    "line {n}: time {unix_seconds} is not after the previous print's {}",
                    last.unix_seconds
                ));
            }
            if unix_seconds - last.unix_seconds > MAX_GAP_SECS {
                return Err(format!(
                    "line {n}: {} s after the previous print, more than the 14-day limit",
                    unix_seconds - last.unix_seconds
                ));
            }
        }
        if prints.len() == MAX_PRINTS {
            return Err(format!("line {n}: more than {MAX_PRINTS} prints"));
        }
        prints.push(Print { unix_seconds, price });
    }
    if prints.len() < 2 {
        return Err(format!("{} print(s): a replay needs at least 2", prints.len()));
    }
    Ok(prints)
}

/// [`parse`] of the file at `path`; errors start with the path.
pub fn load(path: &std::path::Path) -> Result<Vec<Print>, String> {
    let text = std::fs::read_to_string(path).map_err(|e| format!("{}: {e}", path.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", path.display()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_exactly_with_or_without_its_header() {
        let body = "1700000000,150.25\n1700003600, 149.5\n\n1700007200,151\n";
        let want = vec![
            Print { unix_seconds: 1_700_000_000, price: 150.25 },
            Print { unix_seconds: 1_700_003_600, price: 149.5 },
            Print { unix_seconds: 1_700_007_200, price: 151.0 },
        ];
        assert_eq!(parse(body).unwrap(), want);
        assert_eq!(parse(&format!("unix_seconds,price\n{body}")).unwrap(), want);
        assert_eq!(parse(&body.replace('\n', "\r\n")).unwrap(), want);
        // A first line that is a print (a time before 1970 included) is data, not a header.
        let early = parse("-3600,10\n0,11\n").unwrap();
        assert_eq!(early[0], Print { unix_seconds: -3_600, price: 10.0 });
    }

    #[test]
    fn each_bad_file_is_refused_by_its_line() {
        let cases = [
            ("t,p\n1,10\nx,11\n", "line 3: unix_seconds \"x\" is not a whole number"),
            ("1,10\n2,11,5\n", "line 2: expected 2 fields"),
            ("1,10\n2\n", "line 2: expected 2 fields (unix_seconds,price), found 1"),
            ("1,10\n2.5,11\n", "line 2: unix_seconds \"2.5\" is not a whole number"),
            ("1,10\n2,abc\n", "line 2: price \"abc\" is not a number"),
            ("1,10\n2,0\n", "line 2: price 0 is outside"),
            ("1,10\n2,-3\n", "line 2: price -3 is outside"),
            ("1,10\n2,NaN\n", "line 2: price NaN is outside"),
            ("-1,10\n0,11\n2,x\n", "line 3: price \"x\""),
            ("1.5,10\n2,11\n", "line 1: unix_seconds \"1.5\" is not a whole number"),
            ("1,10\n2,inf\n", "line 2: price inf is outside"),
            ("1,10\n2,2000000000\n", "line 2: price 2000000000 is outside"),
            ("5,10\n5,11\n", "line 2: time 5 is not after the previous print's 5"),
            ("5,10\n4,11\n", "line 2: time 4 is not after"),
            ("0,10\n1209601,11\n", "line 2: 1209601 s after the previous print"),
            ("header\n1,10\n", "1 print(s): a replay needs at least 2"),
            ("", "0 print(s)"),
        ];
        for (text, want) in cases {
            let got = parse(text).unwrap_err();
            assert!(got.starts_with(want), "{text:?}: {got}");
        }
        let long: String = (0..=MAX_PRINTS).map(|i| format!("{i},10\n")).collect();
        assert_eq!(parse(&long).unwrap_err(), format!("line 10001: more than {MAX_PRINTS} prints"));
    }
}
