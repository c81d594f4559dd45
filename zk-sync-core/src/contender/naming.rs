//! Node names: Curator's protected prefix, markers, and sorting by sequence.

/// Curator's "protected" prefix: `_c_<uuid>-`. A contender recognises its own node by it after
/// a create whose reply was lost.
pub(crate) fn protected_prefix(id: &uuid::Uuid) -> String {
    format!("_c_{}-", id.hyphenated())
}

/// One contender in a recipe directory.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Contender {
    name: String,
    marker: usize,
    sort_key_at: usize,
}

impl Contender {
    /// The node name (not the full path).
    pub fn name(&self) -> &str {
        &self.name
    }

    /// The index (into [`Recipe::markers`](super::Recipe::markers)) of this node's marker.
    pub fn marker(&self) -> usize {
        self.marker
    }

    /// The sort key: the text after the last occurrence of the marker (the sequence).
    pub fn sequence(&self) -> &str {
        &self.name[self.sort_key_at..]
    }

    /// Where the sort key starts in the name.
    pub(super) fn sort_key_at(&self) -> usize {
        self.sort_key_at
    }

    /// The name, taken out.
    pub(super) fn into_name(self) -> String {
        self.name
    }

    /// The contender a child name is, for a recipe with these markers.
    pub(super) fn parse(name: String, markers: &[&str]) -> Option<Contender> {
        // Like Curator, strip at each marker in turn, keeping the text after its last occurrence.
        let mut found = None;
        let mut key_at = 0;
        for (index, marker) in markers.iter().enumerate() {
            if let Some(at) = name[key_at..].rfind(marker) {
                key_at += at + marker.len();
                found = Some(index);
            }
        }
        found.map(|marker| Contender {
            name,
            marker,
            sort_key_at: key_at,
        })
    }
}

/// Parses `children` into contenders of a recipe with these `markers`, sorted by sequence.
///
/// Curator compares sort keys as strings; for the fixed-width sequences ZooKeeper produces that
/// equals numeric order. Ties (possible after a Curator downgrade) are broken by name, so every
/// client sees the same order.
///
/// # Examples
///
/// ```
/// use zk_sync_core::contender::sort_contenders;
///
/// let children = vec![
///     "_c_b-lock-0000000002".to_string(),
///     "unrelated".to_string(),
///     "_c_a-lock-0000000001".to_string(),
/// ];
/// let queue = sort_contenders(children, &["lock-"]);
/// let names: Vec<_> = queue.iter().map(|c| c.name()).collect();
/// assert_eq!(names, ["_c_a-lock-0000000001", "_c_b-lock-0000000002"]);
/// ```
pub fn sort_contenders(children: Vec<String>, markers: &[&str]) -> Vec<Contender> {
    let mut queue: Vec<Contender> = children
        .into_iter()
        .filter_map(|name| Contender::parse(name, markers))
        .collect();
    queue.sort_by(|a, b| {
        a.sequence()
            .cmp(b.sequence())
            .then_with(|| a.name.cmp(&b.name))
    });
    queue
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rwlock_markers_sort_together() {
        let children = vec![
            "_c_1-__READ__0000000003".to_string(),
            "_c_2-__WRIT__0000000001".to_string(),
            "_c_3-__READ__0000000002".to_string(),
            "_c_4-__WRIT__0000000002".to_string(),
        ];
        let queue = sort_contenders(children, &["__READ__", "__WRIT__"]);
        let got: Vec<_> = queue.iter().map(|c| (c.sequence(), c.marker())).collect();
        assert_eq!(
            got,
            [
                ("0000000001", 1),
                ("0000000002", 0),
                ("0000000002", 1),
                ("0000000003", 0)
            ]
        );
    }

    #[test]
    fn last_occurrence_of_marker_wins() {
        let queue = sort_contenders(vec!["_c_x-lock-lock-0000000007".into()], &["lock-"]);
        assert_eq!(queue[0].sequence(), "0000000007");
    }

    #[test]
    fn protected_prefix_matches_curator_shape() {
        let id = uuid::Uuid::nil();
        assert_eq!(
            protected_prefix(&id),
            "_c_00000000-0000-0000-0000-000000000000-"
        );
    }
}
