//! Protobuf wire-format reading: varints, fixed64, length-delimited fields and skipping of
//! unknown fields by wire type.
//!
//! Every read is bounds-checked; positions reported in errors are byte offsets into the
//! decompressed request, so a message nested anywhere still points at the right byte.
#![deny(clippy::indexing_slicing)]

use super::DecodeError;

/// A protobuf wire type (the low three bits of a field key).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum WireType {
    /// 0: a varint.
    Varint,
    /// 1: eight little-endian bytes.
    Fixed64,
    /// 2: a varint length, then that many bytes.
    LengthDelimited,
    /// 5: four little-endian bytes.
    Fixed32,
}

impl WireType {
    /// The number protobuf gives this wire type.
    pub(crate) fn number(self) -> u8 {
        match self {
            Self::Varint => 0,
            Self::Fixed64 => 1,
            Self::LengthDelimited => 2,
            Self::Fixed32 => 5,
        }
    }
}

/// One field key: its number and wire type, and where it starts.
#[derive(Debug, Clone, Copy)]
pub(crate) struct FieldKey {
    /// The field number (never 0).
    pub(crate) number: u64,
    /// How the field's value is encoded.
    pub(crate) wire_type: WireType,
    /// Offset of the key in the decompressed request.
    pub(crate) offset: usize,
}

/// A cursor over one protobuf message (the request or a nested message).
pub(crate) struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    /// Offset of `buf[0]` in the decompressed request.
    base: usize,
    /// The message being read, for error messages.
    message: &'static str,
}

impl<'a> Reader<'a> {
    /// A reader over `buf`, which starts at offset `base` of the request and holds a `message`.
    pub(crate) fn new(buf: &'a [u8], base: usize, message: &'static str) -> Self {
        Self {
            buf,
            pos: 0,
            base,
            message,
        }
    }

    /// Offset of the next unread byte in the decompressed request.
    pub(crate) fn offset(&self) -> usize {
        self.base + self.pos
    }

    /// True when every byte of the message has been read.
    pub(crate) fn is_empty(&self) -> bool {
        self.pos >= self.buf.len()
    }

    fn truncated(&self) -> DecodeError {
        DecodeError::Truncated {
            message: self.message,
            offset: self.offset(),
        }
    }

    /// Reads a varint of at most ten bytes; refuses one that overflows 64 bits.
    pub(crate) fn varint(&mut self) -> Result<u64, DecodeError> {
        let start = self.offset();
        let mut value = 0u64;
        for i in 0..10u32 {
            let Some(&byte) = self.buf.get(self.pos) else {
                return Err(self.truncated());
            };
            self.pos += 1;
            let payload = u64::from(byte & 0x7f);
            // The tenth byte holds only the top bit of a 64-bit value.
            if i == 9 && payload > 1 {
                return Err(DecodeError::VarintOverflow {
                    message: self.message,
                    offset: start,
                });
            }
            value |= payload << (7 * i);
            if byte & 0x80 == 0 {
                return Ok(value);
            }
        }
        Err(DecodeError::VarintOverflow {
            message: self.message,
            offset: start,
        })
    }

    fn take(&mut self, len: usize) -> Result<&'a [u8], DecodeError> {
        let end = self.pos.checked_add(len).ok_or_else(|| self.truncated())?;
        let bytes = self
            .buf
            .get(self.pos..end)
            .ok_or_else(|| self.truncated())?;
        self.pos = end;
        Ok(bytes)
    }

    /// Reads eight little-endian bytes.
    pub(crate) fn fixed64(&mut self) -> Result<u64, DecodeError> {
        let bytes = self.take(8)?;
        let array: [u8; 8] = bytes.try_into().map_err(|_| self.truncated())?;
        Ok(u64::from_le_bytes(array))
    }

    /// Reads a length-delimited value; returns its bytes and their offset in the request.
    pub(crate) fn length_delimited(&mut self) -> Result<(&'a [u8], usize), DecodeError> {
        let len = self.varint()?;
        let len = usize::try_from(len).map_err(|_| self.truncated())?;
        let offset = self.offset();
        Ok((self.take(len)?, offset))
    }

    /// Reads the next field key, or `None` at the end of the message.
    pub(crate) fn next_key(&mut self) -> Result<Option<FieldKey>, DecodeError> {
        if self.is_empty() {
            return Ok(None);
        }
        let offset = self.offset();
        let key = self.varint()?;
        let number = key >> 3;
        let wire_type = match key & 7 {
            0 => WireType::Varint,
            1 => WireType::Fixed64,
            2 => WireType::LengthDelimited,
            5 => WireType::Fixed32,
            other => {
                return Err(DecodeError::UnsupportedWireType {
                    message: self.message,
                    wire_type: other as u8,
                    offset,
                });
            }
        };
        if number == 0 {
            return Err(DecodeError::FieldNumberZero {
                message: self.message,
                offset,
            });
        }
        Ok(Some(FieldKey {
            number,
            wire_type,
            offset,
        }))
    }

    /// Skips the value of a field this decoder does not read, as protobuf requires of unknown
    /// fields.
    pub(crate) fn skip(&mut self, key: FieldKey) -> Result<(), DecodeError> {
        match key.wire_type {
            WireType::Varint => self.varint().map(drop),
            WireType::Fixed64 => self.take(8).map(drop),
            WireType::LengthDelimited => self.length_delimited().map(drop),
            WireType::Fixed32 => self.take(4).map(drop),
        }
    }

    /// Checks that a known field has the wire type its schema gives it.
    pub(crate) fn expect(&self, key: FieldKey, wire_type: WireType) -> Result<(), DecodeError> {
        if key.wire_type == wire_type {
            Ok(())
        } else {
            Err(DecodeError::WrongWireType {
                message: self.message,
                field: key.number,
                expected: wire_type.number(),
                found: key.wire_type.number(),
                offset: key.offset,
            })
        }
    }

    /// Reads the body of a nested message field (after checking its wire type).
    pub(crate) fn nested(
        &mut self,
        key: FieldKey,
        message: &'static str,
    ) -> Result<Reader<'a>, DecodeError> {
        self.expect(key, WireType::LengthDelimited)?;
        let (bytes, offset) = self.length_delimited()?;
        Ok(Reader::new(bytes, offset, message))
    }

    /// Reads a length-delimited field's raw bytes (after checking its wire type).
    pub(crate) fn bytes(&mut self, key: FieldKey) -> Result<(&'a [u8], usize), DecodeError> {
        self.expect(key, WireType::LengthDelimited)?;
        self.length_delimited()
    }
}
