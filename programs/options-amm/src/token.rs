//! Token CPIs (SPL Token or Token-2022 through the token interface) and the reconciliation of
//! vault balances with the books after every transfer.

use crate::error::OptionsAmmError;
use crate::math::safe::SafeMath;
use crate::state::Market;
use anchor_lang::prelude::*;
use anchor_spl::token_2022::spl_token_2022;
use anchor_spl::token_2022::spl_token_2022::extension::{
    BaseStateWithExtensions, ExtensionType, StateWithExtensions,
};
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

/// Pays `amount` from the market's quote vault to `to`, signed by the market PDA (no transfer
/// when zero, so a zero payout needs no CPI), then reloads the vault and checks that it moved by
/// exactly `amount`, still covers the books, and that the market's invariant holds. For payouts
/// whose books were already written before the transfer.
pub fn pay_from_quote_vault<'info>(
    token_program: &Interface<'info, TokenInterface>,
    mint: &InterfaceAccount<'info, Mint>,
    vault: &mut InterfaceAccount<'info, TokenAccount>,
    to: &InterfaceAccount<'info, TokenAccount>,
    market: &AccountLoader<'info, Market>,
    amount: u64,
) -> Result<()> {
    let before = vault.amount;
    if amount > 0 {
        let seeds = market.load()?.signer_seeds();
        let slices = seeds.as_slices();
        transfer(token_program, mint, vault, to, market.to_account_info(), amount, &[&slices])?;
    }
    vault.reload()?;
    let m = market.load()?;
    reconcile(vault.amount, before.safe_sub(amount)?, m.quote_books()?)?;
    m.invariant()
}

/// Token-2022 mint extensions a market accepts: descriptive ones only. Every other extension
/// can move or block the vault's tokens or change what a transfer delivers (transfer fees and
/// hooks, permanent delegates, pausing, default-frozen accounts, non-transferable or
/// confidential tokens, a closable mint), so a mint carrying one is refused.
pub const ALLOWED_MINT_EXTENSIONS: [ExtensionType; 6] = [
    ExtensionType::MetadataPointer,
    ExtensionType::TokenMetadata,
    ExtensionType::GroupPointer,
    ExtensionType::TokenGroup,
    ExtensionType::GroupMemberPointer,
    ExtensionType::TokenGroupMember,
];

/// Refuses (`UnsupportedMintExtension`) a Token-2022 mint with an extension outside
/// [`ALLOWED_MINT_EXTENSIONS`]. SPL Token mints have none.
pub fn check_mint_extensions(mint: &InterfaceAccount<Mint>) -> Result<()> {
    let info = mint.to_account_info();
    if *info.owner != spl_token_2022::ID {
        return Ok(());
    }
    let data = info.try_borrow_data()?;
    let state = StateWithExtensions::<spl_token_2022::state::Mint>::unpack(&data)
        .map_err(|_| error!(OptionsAmmError::UnsupportedMintExtension))?;
    let types = state
        .get_extension_types()
        .map_err(|_| error!(OptionsAmmError::UnsupportedMintExtension))?;
    for t in types {
        if !ALLOWED_MINT_EXTENSIONS.contains(&t) {
            msg!("mint extension not accepted: {:?}", t);
            return err!(OptionsAmmError::UnsupportedMintExtension);
        }
    }
    Ok(())
}
