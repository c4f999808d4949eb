//! Blobs sealed at rest: XChaCha20-Poly1305 in the STREAM construction, 64 KiB chunks
//! each with its own tag, so a 2 GB object is never held in memory and a reader can
//! seek (PDFium reads a document in pieces).
//!
//! Layout: a magic line, a random 19-byte nonce prefix, then the chunks. Each chunk's
//! nonce carries its position and whether it is the last, so chunks cannot be moved,
//! dropped or cut off; the last chunk's associated data is the blob's content address,
//! so a sealed file put under another blob's name does not open.

use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom, Write};

use chacha20poly1305::aead::stream::{NewStream, StreamBE32, StreamPrimitive};
use chacha20poly1305::aead::{KeyInit, OsRng, rand_core::RngCore};
use chacha20poly1305::{Key, XChaCha20Poly1305};
use sha2::{Digest, Sha256};

const MAGIC: &[u8; 8] = b"SRBLOB1\n";
const NONCE_PREFIX: usize = 19;
const HEADER: u64 = (MAGIC.len() + NONCE_PREFIX) as u64;
const CHUNK: usize = 64 * 1024;
const TAG: usize = 16;
const SEALED_CHUNK: u64 = (CHUNK + TAG) as u64;

type Stream = StreamBE32<XChaCha20Poly1305>;

/// The key blobs are sealed with (32 random bytes, kept by the caller).
#[derive(Clone)]
pub struct BlobKey(Key);

impl BlobKey {
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(Key::from(bytes))
    }

    fn stream(&self, prefix: &[u8; NONCE_PREFIX]) -> Stream {
        Stream::from_aead(XChaCha20Poly1305::new(&self.0), prefix.into())
    }
}

impl std::fmt::Debug for BlobKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("BlobKey(…)")
    }
}

fn damaged(why: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::InvalidData,
        format!("the stored file is damaged or was replaced ({why})"),
    )
}

/// Seals a blob as it is written; the address is known only at the end, when the last
/// chunk is sealed with it.
pub(crate) struct Sealer<W: Write> {
    out: W,
    stream: Stream,
    position: u32,
    pending: Vec<u8>,
}

impl<W: Write> Sealer<W> {
    pub fn new(key: &BlobKey, mut out: W) -> io::Result<Self> {
        let mut prefix = [0u8; NONCE_PREFIX];
        OsRng.fill_bytes(&mut prefix);
        out.write_all(MAGIC)?;
        out.write_all(&prefix)?;
        Ok(Self {
            out,
            stream: key.stream(&prefix),
            position: 0,
            pending: Vec::with_capacity(CHUNK + TAG),
        })
    }

    pub fn write(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            // A full chunk is sealed only once more bytes arrive: the last chunk must
            // be sealed as the last, and only `finish` knows which one that is.
            if self.pending.len() == CHUNK {
                self.seal_pending(false, b"")?;
            }
            let take = (CHUNK - self.pending.len()).min(bytes.len());
            self.pending.extend_from_slice(&bytes[..take]);
            bytes = &bytes[take..];
        }
        Ok(())
    }

    fn seal_pending(&mut self, last: bool, address: &[u8]) -> io::Result<()> {
        self.stream
            .encrypt_in_place(self.position, last, address, &mut self.pending)
            .map_err(|_| io::Error::other("cannot seal the blob"))?;
        self.out.write_all(&self.pending)?;
        self.pending.clear();
        self.position = self
            .position
            .checked_add(1)
            .ok_or_else(|| io::Error::other("the blob is too large to seal"))?;
        Ok(())
    }

    /// Seals the last chunk with the blob's address and hands back the output.
    pub fn finish(mut self, address: &str) -> io::Result<W> {
        self.seal_pending(true, address.as_bytes())?;
        Ok(self.out)
    }
}

/// Reads a sealed blob as plaintext, chunk by chunk, each chunk checked as it is
/// opened. Read from start to end, the plaintext's sha256 is checked against the
/// address too.
pub struct SealedReader {
    file: File,
    stream: Stream,
    address: String,
    chunks: u64,
    len: u64,
    pos: u64,
    /// The chunk last opened, by index.
    current: Option<(u64, Vec<u8>)>,
    /// The plaintext's digest over the chunks opened in order from the first.
    hasher: Sha256,
    hashed_chunks: u64,
}

impl SealedReader {
    pub fn open(key: &BlobKey, mut file: File, address: &str) -> io::Result<Self> {
        let mut header = [0u8; HEADER as usize];
        file.read_exact(&mut header)
            .map_err(|_| damaged("too short"))?;
        if &header[..MAGIC.len()] != MAGIC {
            return Err(damaged("not a sealed blob"));
        }
        let mut prefix = [0u8; NONCE_PREFIX];
        prefix.copy_from_slice(&header[MAGIC.len()..]);
        let body = file.metadata()?.len().saturating_sub(HEADER);
        let chunks = body.div_ceil(SEALED_CHUNK).max(1);
        let last_sealed = body - (chunks - 1) * SEALED_CHUNK;
        if last_sealed < TAG as u64 {
            return Err(damaged("cut short"));
        }
        let mut reader = Self {
            file,
            stream: key.stream(&prefix),
            address: address.to_owned(),
            chunks,
            len: body - chunks * TAG as u64,
            pos: 0,
            current: None,
            hasher: Sha256::new(),
            hashed_chunks: 0,
        };
        // The last chunk binds the file to its address: check it before anything is read.
        reader.load(chunks - 1)?;
        Ok(reader)
    }

    fn load(&mut self, index: u64) -> io::Result<()> {
        if self.current.as_ref().is_some_and(|(i, _)| *i == index) {
            return Ok(());
        }
        let last = index + 1 == self.chunks;
        let sealed_len = if last {
            (self.len - index * CHUNK as u64) as usize + TAG
        } else {
            CHUNK + TAG
        };
        let mut buf = match self.current.take() {
            Some((_, mut buf)) => {
                buf.resize(sealed_len, 0);
                buf
            }
            None => vec![0u8; sealed_len],
        };
        self.file
            .seek(SeekFrom::Start(HEADER + index * SEALED_CHUNK))?;
        self.file
            .read_exact(&mut buf)
            .map_err(|_| damaged("cut short"))?;
        let position = u32::try_from(index).map_err(|_| damaged("too many chunks"))?;
        let address: &[u8] = if last { self.address.as_bytes() } else { b"" };
        self.stream
            .decrypt_in_place(position, last, address, &mut buf)
            .map_err(|_| damaged("it fails its authentication"))?;
        if index == self.hashed_chunks {
            self.hasher.update(&buf);
            self.hashed_chunks += 1;
            if last {
                let digest = hex::encode(std::mem::take(&mut self.hasher).finalize());
                if !digest.eq_ignore_ascii_case(&self.address) {
                    return Err(damaged("its content does not match its address"));
                }
            }
        }
        self.current = Some((index, buf));
        Ok(())
    }
}

impl Read for SealedReader {
    fn read(&mut self, out: &mut [u8]) -> io::Result<usize> {
        if self.pos >= self.len || out.is_empty() {
            return Ok(0);
        }
        let index = self.pos / CHUNK as u64;
        self.load(index)?;
        let (_, chunk) = self.current.as_ref().expect("loaded above");
        let start = (self.pos - index * CHUNK as u64) as usize;
        let n = (chunk.len() - start).min(out.len());
        out[..n].copy_from_slice(&chunk[start..start + n]);
        self.pos += n as u64;
        Ok(n)
    }
}

impl Seek for SealedReader {
    fn seek(&mut self, to: SeekFrom) -> io::Result<u64> {
        let target = match to {
            SeekFrom::Start(n) => Some(n),
            SeekFrom::End(d) => self.len.checked_add_signed(d),
            SeekFrom::Current(d) => self.pos.checked_add_signed(d),
        };
        self.pos = target
            .ok_or_else(|| io::Error::new(io::ErrorKind::InvalidInput, "seek before the start"))?;
        Ok(self.pos)
    }
}
