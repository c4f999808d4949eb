//! The CDC's ICD-10-CM tabular list (XML) as a flat list of codes. Codes that take a
//! 7th character (injuries, say) are listed in the XML only up to their 6th; the
//! 7th-character table of the nearest ancestor (`sevenChrDef`) makes the billable
//! codes, with `X` placeholders filling short codes out to six characters.

use quick_xml::Reader;
use quick_xml::events::Event;

use crate::IcdError;

#[derive(Debug, Clone, PartialEq)]
pub struct Entry {
    /// With its dot, as coders write it: `S72.001A`.
    pub code: String,
    pub title: String,
    /// A code a claim may carry: a leaf of the hierarchy.
    pub billable: bool,
    /// The code one level up (none for a category).
    pub parent: Option<String>,
    /// Other words for the same condition ("inclusion terms").
    pub inclusion: Vec<String>,
    /// Excludes1 notes: conditions never coded together with this one, each naming
    /// codes in parentheses.
    pub excludes1: Vec<String>,
}

#[derive(Default)]
struct Diag {
    code: String,
    title: String,
    inclusion: Vec<String>,
    excludes1: Vec<String>,
    /// Its own 7th-character table, if it has one: (character, meaning).
    seventh: Option<Vec<(char, String)>>,
    has_children: bool,
}

/// What the text being read belongs to.
#[derive(Clone, Copy, PartialEq)]
enum Field {
    Name,
    Desc,
    Inclusion,
    Excludes1,
    Extension(char),
    Other,
}

/// Reads the tabular XML into entries, parents before children.
pub fn parse(xml: &str) -> Result<(String, Vec<Entry>), IcdError> {
    let mut reader = Reader::from_str(xml);
    let mut version = String::new();
    let mut stack: Vec<Diag> = Vec::new();
    let mut path: Vec<String> = Vec::new();
    let mut field = Field::Other;
    let mut text = String::new();
    let mut entries = Vec::new();
    loop {
        let event = reader
            .read_event()
            .map_err(|e| IcdError::Tabular(format!("at byte {}: {e}", reader.buffer_position())))?;
        match event {
            Event::Start(start) => {
                let name = start.name().as_ref().to_string();
                let parent = path.last().map(String::as_str);
                field = match (name.as_str(), parent) {
                    ("diag", _) => {
                        if let Some(up) = stack.last_mut() {
                            up.has_children = true;
                        }
                        stack.push(Diag::default());
                        Field::Other
                    }
                    ("name", Some("diag")) => Field::Name,
                    ("desc", Some("diag")) => Field::Desc,
                    ("note", Some("inclusionTerm")) => Field::Inclusion,
                    ("note", Some("excludes1")) if in_diag(&path) => Field::Excludes1,
                    ("extension", Some("sevenChrDef")) => {
                        let char = start
                            .try_get_attribute("char")
                            .ok()
                            .flatten()
                            .and_then(|a| {
                                a.normalized_value(quick_xml::XmlVersion::Implicit1_0)
                                    .ok()
                                    .and_then(|v| v.chars().next())
                            })
                            .ok_or_else(|| {
                                IcdError::Tabular("an extension without its char".into())
                            })?;
                        Field::Extension(char)
                    }
                    _ => Field::Other,
                };
                if name == "sevenChrDef"
                    && let Some(diag) = stack.last_mut()
                {
                    diag.seventh = Some(Vec::new());
                }
                path.push(name);
                text.clear();
            }
            Event::Text(t) => text.push_str(&t.xml10_content()),
            Event::GeneralRef(r) if r.is_char_ref() => {
                if let Ok(Some(c)) = r.resolve_char_ref() {
                    text.push(c);
                }
            }
            Event::GeneralRef(r) => {
                // The tabular list uses only XML's own entities.
                let resolved = match &*r.xml10_content() {
                    "amp" => "&",
                    "lt" => "<",
                    "gt" => ">",
                    "quot" => "\"",
                    "apos" => "'",
                    _ => "",
                };
                text.push_str(resolved);
            }
            Event::End(_) => {
                let name = path.pop().unwrap_or_default();
                let value = text.trim().to_string();
                if let Some(diag) = stack.last_mut() {
                    match field {
                        Field::Name => diag.code = value,
                        Field::Desc => diag.title = value,
                        Field::Inclusion => diag.inclusion.push(value),
                        Field::Excludes1 => diag.excludes1.push(value),
                        Field::Extension(c) => {
                            if let Some(table) = diag.seventh.as_mut() {
                                table.push((c, value));
                            }
                        }
                        Field::Other => {}
                    }
                }
                if name == "version" && version.is_empty() {
                    version = text.trim().to_string();
                }
                field = Field::Other;
                text.clear();
                if name == "diag" {
                    let diag = stack
                        .pop()
                        .ok_or_else(|| IcdError::Tabular("unbalanced <diag>".into()))?;
                    emit(diag, &stack, &mut entries)?;
                }
            }
            Event::Eof => break,
            _ => {}
        }
    }
    if entries.is_empty() {
        return Err(IcdError::Tabular(
            "no codes found: not an ICD-10-CM tabular list".into(),
        ));
    }
    // Parents were emitted after their children (on their closing tag).
    entries.sort_by(|a: &Entry, b: &Entry| a.code.cmp(&b.code));
    Ok((version, entries))
}

fn in_diag(path: &[String]) -> bool {
    path.len() >= 2 && path[path.len() - 2] == "diag"
}

fn emit(diag: Diag, ancestors: &[Diag], entries: &mut Vec<Entry>) -> Result<(), IcdError> {
    if diag.code.is_empty() {
        return Err(IcdError::Tabular("a <diag> without a code".into()));
    }
    let parent = ancestors.last().map(|d| d.code.clone());
    let seventh = diag
        .seventh
        .as_ref()
        .or_else(|| ancestors.iter().rev().find_map(|d| d.seventh.as_ref()));
    let leaf = !diag.has_children;
    match (leaf, seventh) {
        (true, Some(table)) => {
            let base: String = diag.code.chars().filter(|&c| c != '.').collect();
            for (c, meaning) in table {
                let mut full = format!("{base:X<6}");
                full.push(*c);
                entries.push(Entry {
                    code: with_dot(&full),
                    title: format!("{}, {meaning}", diag.title),
                    billable: true,
                    parent: Some(diag.code.clone()),
                    inclusion: Vec::new(),
                    excludes1: Vec::new(),
                });
            }
            entries.push(Entry {
                code: diag.code,
                title: diag.title,
                billable: false,
                parent,
                inclusion: diag.inclusion,
                excludes1: diag.excludes1,
            });
        }
        _ => entries.push(Entry {
            code: diag.code,
            title: diag.title,
            billable: leaf,
            parent,
            inclusion: diag.inclusion,
            excludes1: diag.excludes1,
        }),
    }
    Ok(())
}

/// `S72001A` → `S72.001A`.
fn with_dot(code: &str) -> String {
    if code.len() > 3 {
        format!("{}.{}", &code[..3], &code[3..])
    } else {
        code.to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SAMPLE: &str = r#"<ICD10CM.tabular><version>2026</version><chapter><name>19</name>
      <section id="S70-S79"><desc>Injuries to the hip and thigh (S70-S79)</desc>
      <diag><name>S72</name><desc>Fracture of femur</desc>
        <sevenChrDef><extension char="A">initial encounter for closed fracture</extension>
          <extension char="D">subsequent encounter for closed fracture with routine healing</extension></sevenChrDef>
        <diag><name>S72.0</name><desc>Fracture of head and neck of femur</desc>
          <diag><name>S72.00</name><desc>Fracture of unspecified part of neck of femur</desc>
            <inclusionTerm><note>Fracture of hip NOS</note></inclusionTerm>
            <diag><name>S72.001</name><desc>Fracture of unspecified part of neck of right femur</desc></diag>
          </diag>
          <diag><name>S72.09</name><desc>Other fracture of head and neck of femur</desc></diag>
        </diag>
      </diag>
      <diag><name>J18</name><desc>Pneumonia, unspecified organism</desc>
        <excludes1><note>congenital pneumonia (P23.0)</note></excludes1>
        <diag><name>J18.9</name><desc>Pneumonia, unspecified organism</desc></diag>
      </diag></section></chapter></ICD10CM.tabular>"#;

    #[test]
    fn seventh_characters_make_the_billable_codes() {
        let (version, entries) = parse(SAMPLE).unwrap();
        assert_eq!(version, "2026");
        let get = |code: &str| entries.iter().find(|e| e.code == code).unwrap();
        assert!(!get("S72.001").billable);
        let a = get("S72.001A");
        assert!(a.billable);
        assert_eq!(
            a.title,
            "Fracture of unspecified part of neck of right femur, initial encounter for closed fracture"
        );
        // Short codes are filled out with X to six characters before the 7th.
        assert!(get("S72.09XD").billable);
        assert!(!get("S72").billable && !get("S72.00").billable);
        assert_eq!(get("S72.00").inclusion, ["Fracture of hip NOS"]);
        assert!(get("J18.9").billable);
        assert_eq!(get("J18").excludes1, ["congenital pneumonia (P23.0)"]);
        assert_eq!(get("J18.9").parent.as_deref(), Some("J18"));
    }

    #[test]
    fn something_else_is_refused() {
        assert!(parse("<html><body>not icd</body></html>").is_err());
        assert!(parse("<ICD10CM.tabular><diag><name>A00").is_err());
    }
}
