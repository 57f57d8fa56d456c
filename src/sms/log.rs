//! The development provider: nothing is sent; the masked phone and the code go to the log at INFO.
//! It also keeps the last few messages in memory, so tests (and a developer at the console) can
//! read a code without parsing the log.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex, PoisonError};

use super::provider::{ProviderError, SmsSender};
use super::{MobileNumber, OneTimeCode};

/// How many messages the log provider remembers.
const KEPT: usize = 100;

/// One message the log provider "sent".
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SentMessage {
    pub to: MobileNumber,
    pub code: OneTimeCode,
}

#[derive(Clone, Default)]
pub struct LogProvider {
    sent: Arc<Mutex<VecDeque<SentMessage>>>,
}

impl LogProvider {
    /// The code of the latest message to `phone`, if it is among the last few.
    pub fn last_code_to(&self, phone: &MobileNumber) -> Option<OneTimeCode> {
        let sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        sent.iter().rev().find(|m| &m.to == phone).map(|m| m.code.clone())
    }

    /// Every remembered message, oldest first.
    pub fn sent(&self) -> Vec<SentMessage> {
        self.sent.lock().unwrap_or_else(PoisonError::into_inner).iter().cloned().collect()
    }
}

impl SmsSender for LogProvider {
    async fn send(&self, to: &MobileNumber, code: &OneTimeCode) -> Result<(), ProviderError> {
        tracing::info!(phone = %to.masked(), code = %code.as_str(), "SMS code (provider `log`: not sent)");
        let mut sent = self.sent.lock().unwrap_or_else(PoisonError::into_inner);
        if sent.len() == KEPT {
            sent.pop_front();
        }
        sent.push_back(SentMessage { to: to.clone(), code: code.clone() });
        Ok(())
    }
}
