//! Codes written in the text ("(E11.65)", "D50.0"), read back as the table knows them.
//! OCR mistakes letters for digits and back (O/0, I/1, S/5, B/8, Z/2, G/6), so a word
//! shaped like a code that is not one is tried with those swapped, at the positions
//! where ICD-10-CM puts a letter or a digit.

/// Letters OCR reads for digits and the digits they stand for.
const AS_DIGIT: &[(char, char)] = &[
    ('O', '0'),
    ('D', '0'),
    ('I', '1'),
    ('L', '1'),
    ('S', '5'),
    ('B', '8'),
    ('Z', '2'),
    ('G', '6'),
];

/// The code a word may spell, upper case with its dot, and the spellings to try in
/// order: the word as written, then with one swap, then two.
pub fn readings(word: &str) -> Vec<String> {
    let upper = word.to_ascii_uppercase();
    let (head, tail) = upper.split_once('.').unwrap_or((&upper, ""));
    let shaped = head.len() == 3
        && tail.len() <= 4
        && upper.chars().all(|c| c.is_ascii_alphanumeric() || c == '.')
        && !(upper.contains('.') && tail.is_empty())
        && upper.chars().any(|c| c.is_ascii_digit());
    if !shaped {
        return Vec::new();
    }
    let chars: Vec<char> = upper.chars().collect();
    // Position 0 is a letter, 1 a digit; the rest are mostly digits (letters there are
    // tried as written first). A first character read as a digit is only repaired
    // when the dot shows the word is a code.
    let swaps = |i: usize| -> Vec<char> {
        let c = chars[i];
        match i {
            0 if c.is_ascii_digit() && !tail.is_empty() => AS_DIGIT
                .iter()
                .filter(|(_, d)| *d == c)
                .map(|(l, _)| *l)
                .collect(),
            1.. if c.is_ascii_alphabetic() => AS_DIGIT
                .iter()
                .filter(|(l, _)| *l == c)
                .map(|(_, d)| *d)
                .collect(),
            _ => Vec::new(),
        }
    };
    let valid_shape = |s: &[char]| s[0].is_ascii_alphabetic() && s[1].is_ascii_digit();
    let mut out = Vec::new();
    if valid_shape(&chars) {
        out.push(upper.clone());
    }
    let positions: Vec<usize> = (0..chars.len()).collect();
    for &i in &positions {
        for c in swaps(i) {
            let mut s = chars.clone();
            s[i] = c;
            if valid_shape(&s) {
                out.push(s.iter().collect());
            }
        }
    }
    for &i in &positions {
        for &j in positions.iter().filter(|&&j| j > i) {
            for a in swaps(i) {
                for b in swaps(j) {
                    let mut s = chars.clone();
                    s[i] = a;
                    s[j] = b;
                    if valid_shape(&s) {
                        out.push(s.iter().collect());
                    }
                }
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_code_reads_as_written_first() {
        assert_eq!(readings("e11.65")[0], "E11.65");
        assert_eq!(readings("I10"), ["I10"]);
    }

    #[test]
    fn letters_read_for_digits_are_swapped_back() {
        assert!(readings("EI1.65").contains(&"E11.65".to_string()));
        assert!(readings("E11.6S").contains(&"E11.65".to_string()));
        assert!(readings("110.9").contains(&"I10.9".to_string()));
        assert!(readings("ZS0.0").contains(&"Z50.0".to_string()));
    }

    #[test]
    fn words_and_numbers_are_not_codes() {
        assert!(readings("and").is_empty());
        assert!(readings("2019").is_empty());
        assert!(readings("OSA").is_empty());
        // A bare number is not repaired into a code without a dot to show it is one.
        assert!(readings("110").is_empty());
    }
}
