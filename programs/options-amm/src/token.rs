//! Token CPIs (SPL Token or Token-2022 through the token interface) and the reconciliation of
//! vault balances with the books after every transfer.

use crate::error::OptionsAmmError;
use anchor_lang::prelude::*;
use anchor_spl::token_interface::{
    self, Burn, Mint, MintTo, TokenAccount, TokenInterface, TransferChecked,
};

/// `amount` of `mint` from `from` to `to`, signed by `authority` (or by the market PDA when
/// `signer` is given).
pub fn transfer<'info>(
    token_program: &Interface<'info, TokenInterface>,
    mint: &InterfaceAccount<'info, Mint>,
    from: &InterfaceAccount<'info, TokenAccount>,
    to: &InterfaceAccount<'info, TokenAccount>,
    authority: AccountInfo<'info>,
    amount: u64,
    signer: &[&[&[u8]]],
) -> Result<()> {
    let accounts = TransferChecked {
        from: from.to_account_info(),
        mint: mint.to_account_info(),
        to: to.to_account_info(),
        authority,
    };
    let ctx = CpiContext::new_with_signer(token_program.key(), accounts, signer);
    token_interface::transfer_checked(ctx, amount, mint.decimals)
}

/// Mints `amount` shares to `to`, signed by the market PDA.
pub fn mint_shares<'info>(
    token_program: &Interface<'info, TokenInterface>,
    mint: &InterfaceAccount<'info, Mint>,
    to: &InterfaceAccount<'info, TokenAccount>,
    market: AccountInfo<'info>,
    amount: u64,
    signer: &[&[&[u8]]],
) -> Result<()> {
    let accounts =
        MintTo { mint: mint.to_account_info(), to: to.to_account_info(), authority: market };
    token_interface::mint_to(
        CpiContext::new_with_signer(token_program.key(), accounts, signer),
        amount,
    )
}

/// Burns `amount` shares from `from`, signed by its owner.
pub fn burn_shares<'info>(
    token_program: &Interface<'info, TokenInterface>,
    mint: &InterfaceAccount<'info, Mint>,
    from: &InterfaceAccount<'info, TokenAccount>,
    owner: AccountInfo<'info>,
    amount: u64,
) -> Result<()> {
    let accounts =
        Burn { mint: mint.to_account_info(), from: from.to_account_info(), authority: owner };
    token_interface::burn(CpiContext::new(token_program.key(), accounts), amount)
}

/// After a transfer: the vault moved by exactly what the books say (no fee-on-transfer or
/// other surprise) and still covers everything the books owe from it.
pub fn reconcile(vault_after: u64, expected_after: u64, books: u64) -> Result<()> {
    require!(vault_after == expected_after, OptionsAmmError::VaultBalanceMismatch);
    require!(vault_after >= books, OptionsAmmError::VaultBalanceMismatch);
    Ok(())
}
