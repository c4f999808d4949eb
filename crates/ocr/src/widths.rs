//! Where characters sit along a line's box. A line knows only its box, so a word's
//! place in it is estimated from how wide letters are: Helvetica's advance widths
//! (Arial and DejaVu Sans, the usual faces of clinical print, are close), in
//! thousandths of an em.

/// Printable ASCII from the space (32) to the tilde (126).
const ASCII: [u16; 95] = [
    278, 278, 355, 556, 556, 889, 667, 191, 333, 333, 389, 584, 278, 333, 278,
    278, // ␠ to /
    556, 556, 556, 556, 556, 556, 556, 556, 556, 556, // 0 to 9
    278, 278, 584, 584, 584, 556, 1015, // : to @
    667, 667, 722, 722, 667, 611, 778, 722, 278, 500, 667, 556, 833, 722, 778, 667, 778, 722, 667,
    611, 722, 667, 944, 667, 667, 611, // A to Z
    278, 278, 278, 469, 556, 333, // [ to `
    556, 556, 500, 556, 556, 278, 556, 556, 222, 222, 500, 222, 833, 556, 556, 556, 556, 333, 500,
    278, 556, 500, 722, 500, 500, 500, // a to z
    334, 260, 334, 584, // { to ~
];

/// A letter outside ASCII: as wide as a lowercase one.
const OTHER: u16 = 556;

fn advance(c: char) -> f32 {
    let index = (c as usize).wrapping_sub(32);
    f32::from(ASCII.get(index).copied().unwrap_or(OTHER))
}

/// How far along the line (0..1) characters `start..end` of `text` begin and end.
pub fn fractions(text: &str, start: usize, end: usize) -> (f32, f32) {
    let mut total = 0.0;
    let (mut from, mut to) = (0.0, 0.0);
    for (i, c) in text.chars().enumerate() {
        if i == start {
            from = total;
        }
        total += advance(c);
        if i + 1 == end {
            to = total;
        }
    }
    if total == 0.0 {
        return (0.0, 1.0);
    }
    (from / total, to / total)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn narrow_letters_take_less_of_the_line_than_wide_ones() {
        let (_, ill) = fractions("illWWW", 0, 3);
        assert!(ill < 0.2, "{ill}");
        let (from, to) = fractions("illWWW", 3, 6);
        assert!((from - ill).abs() < 1e-6 && (to - 1.0).abs() < 1e-6);
    }

    #[test]
    fn a_word_of_a_line_lands_where_it_is_printed() {
        // "pneumonia" in a demo letter's line: reportlab, which printed it in Helvetica,
        // puts it from 0.602 to 0.733 of the line (counting characters: 0.590 to 0.699).
        let line =
            "The patient was admitted with community-acquired pneumonia of the right lower lobe.";
        let start = line.find("pneumonia").unwrap();
        let (from, to) = fractions(line, start, start + "pneumonia".len());
        assert!((0.600..0.604).contains(&from), "{from}");
        assert!((0.731..0.735).contains(&to), "{to}");
    }
}
