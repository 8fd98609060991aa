//! Named errors of the program.

use anchor_lang::prelude::*;
use options_amm_pricing::PricingError;

#[error_code]
pub enum OptionsAmmError {
    #[msg("Pricing input outside the engine's domain")]
    PricingDomain,
    #[msg("Pricing result does not fit the fixed-point type")]
    PricingOverflow,
}

impl From<PricingError> for OptionsAmmError {
    fn from(e: PricingError) -> Self {
        match e {
            PricingError::Overflow => OptionsAmmError::PricingOverflow,
            _ => OptionsAmmError::PricingDomain,
        }
    }
}
