use anchor_lang::error::ErrorCode;
use options_amm_tests::program_test;
use solana_sdk::{
    instruction::{Instruction, InstructionError},
    signature::Signer,
    transaction::{Transaction, TransactionError},
};

#[tokio::test]
async fn unknown_instruction_is_refused_with_anchors_fallback_error() {
    let (banks, payer, blockhash) = program_test().start().await;
    let ix = Instruction { program_id: options_amm::ID, accounts: vec![], data: vec![0xAB; 8] };
    let tx = Transaction::new_signed_with_payer(&[ix], Some(&payer.pubkey()), &[&payer], blockhash);
    let err = banks.process_transaction(tx).await.unwrap_err().unwrap();
    assert_eq!(
        err,
        TransactionError::InstructionError(
            0,
            InstructionError::Custom(ErrorCode::InstructionFallbackNotFound as u32)
        )
    );
}
