//! The client's one error type. Callers match on what went wrong (the program's named error
//! above all) instead of searching a message's text.

use std::fmt;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CliError {
    /// The program refused the transaction with one of its named errors (names and messages
    /// from the IDL).
    Program { name: String, code: u32, message: String },
    /// The transaction failed outside the program: the runtime, a signature, funds, the
    /// network. The runtime's own text.
    Transaction(String),
    /// Reading the chain failed: the RPC node or the embedded runtime did not answer.
    Chain(String),
    /// The simulation found an invariant violated.
    Invariant(String),
    /// Bad input or local trouble: arguments, files, accounts that do not exist.
    Input(String),
}

impl CliError {
    /// Whether this is the program's error `name` (e.g. "LiquidationTooLarge").
    pub fn is_program(&self, name: &str) -> bool {
        matches!(self, CliError::Program { name: n, .. } if n == name)
    }

    /// The process's exit status: 2 for bad input (as for bad arguments), 3 when the program
    /// refused, 4 when a transaction failed otherwise, 5 when the chain could not be read, 6
    /// when the simulation found an invariant violated.
    pub fn exit_code(&self) -> u8 {
        match self {
            CliError::Input(_) => 2,
            CliError::Program { .. } => 3,
            CliError::Transaction(_) => 4,
            CliError::Chain(_) => 5,
            CliError::Invariant(_) => 6,
        }
    }

    /// The error as `--json` prints it: `{"error": {"kind", "name", "code", "message"}}` (name
    /// and code for the program's errors only).
    pub fn to_json(&self) -> serde_json::Value {
        let (kind, message) = match self {
            CliError::Program { name, code, message } => {
                return serde_json::json!({ "error": {
                    "kind": "program", "name": name, "code": code, "message": message
                }});
            }
            CliError::Transaction(m) => ("transaction", m),
            CliError::Chain(m) => ("chain", m),
            CliError::Invariant(m) => ("invariant", m),
            CliError::Input(m) => ("input", m),
        };
        serde_json::json!({ "error": { "kind": kind, "message": message } })
    }

    /// The error of a failed transaction: the program's named error when its logs or the
    /// runtime's error carry one, else the runtime's text.
    pub fn from_failure(err: &str, logs: &[String]) -> CliError {
        // Anchor logs "Error Code: <Name>. Error Number: <n>. Error Message: <text>."
        if let Some(rest) = logs.iter().find_map(|l| l.split("Error Code: ").nth(1)) {
            let name = rest.split('.').next().unwrap_or_default().to_string();
            let code = rest
                .split("Error Number: ")
                .nth(1)
                .and_then(|r| r.split('.').next())
                .and_then(|n| n.trim().parse().ok());
            let message = rest.split("Error Message: ").nth(1).map(|m| m.trim_end_matches('.'));
            if let (Some(code), Some(message)) = (code, message) {
                return CliError::Program { name, code, message: message.to_string() };
            }
        }
        // The token program's own refusals, said plainly.
        if logs.iter().any(|l| l.contains("Error: insufficient funds")) {
            return CliError::Transaction(
                "insufficient funds: a token account holds less than the transfer needs".into(),
            );
        }
        // Without logs (an RPC error): the custom code, decimal or hex, named from the IDL.
        for (pattern, radix) in [("Custom(", 10), ("custom program error: 0x", 16)] {
            if let Some(code) = err.split(pattern).nth(1).and_then(|r| {
                let digits: String = r.chars().take_while(|c| c.is_ascii_hexdigit()).collect();
                u32::from_str_radix(&digits, radix).ok()
            }) {
                if let Some((name, message)) = crate::idl::error(code) {
                    return CliError::Program { name, code, message };
                }
            }
        }
        CliError::Transaction(err.to_string())
    }
}

impl fmt::Display for CliError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            CliError::Program { name, code, message } => {
                write!(f, "{name}: {message} (error {code})")
            }
            CliError::Transaction(text) => write!(f, "transaction failed: {text}"),
            CliError::Chain(text) => write!(f, "reading the chain failed: {text}"),
            CliError::Invariant(text) => write!(f, "invariant violated: {text}"),
            CliError::Input(text) => f.write_str(text),
        }
    }
}

impl std::error::Error for CliError {}

/// The program's own functions run in the client (fills, margin): their refusal is the
/// program's, by name.
impl From<anchor_lang::error::Error> for CliError {
    fn from(e: anchor_lang::error::Error) -> Self {
        match e {
            anchor_lang::error::Error::AnchorError(a) => CliError::Program {
                name: a.error_name.clone(),
                code: a.error_code_number,
                message: a.error_msg.clone(),
            },
            other => CliError::Input(other.to_string()),
        }
    }
}

impl From<String> for CliError {
    fn from(text: String) -> Self {
        CliError::Input(text)
    }
}

impl From<&str> for CliError {
    fn from(text: &str) -> Self {
        CliError::Input(text.to_string())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_program_log_names_the_error() {
        let logs = ["Program log: AnchorError occurred. Error Code: BelowInitialMargin. Error \
                     Number: 6055. Error Message: The account would be below initial margin."
            .to_string()];
        let e = CliError::from_failure("custom program error: 0x17a7", &logs);
        assert!(e.is_program("BelowInitialMargin"));
        assert_eq!(
            e,
            CliError::Program {
                name: "BelowInitialMargin".into(),
                code: 6055,
                message: "The account would be below initial margin".into()
            }
        );
    }

    #[test]
    fn an_rpc_error_code_is_named_from_the_idl() {
        // 0x1770 = 6000, the program's first error.
        let e = CliError::from_failure(
            "Error processing Instruction 1: custom program error: 0x1770",
            &[],
        );
        assert!(e.is_program("MathOverflow"), "{e:?}");
        let e = CliError::from_failure("InstructionError(1, Custom(6000))", &[]);
        assert!(e.is_program("MathOverflow"), "{e:?}");
    }

    #[test]
    fn a_failure_without_a_program_error_stays_a_transaction_error() {
        let e = CliError::from_failure("insufficient funds for fee", &[]);
        assert_eq!(e, CliError::Transaction("insufficient funds for fee".into()));
        assert!(!e.is_program("InsufficientFunds"));
    }
}
