#pragma once

#include <QString>

#include <optional>

class QWidget;

namespace ckpt {

/// What stays when another checkpoint is opened over the current one.
struct KeepChoice
{
    bool rules = false;
    bool target = false;
};

/// Asks what to keep (objectName "keepDialog", checkboxes "keepRules" and "keepTarget", shown
/// for what there is): the rules (`rules` of them, `unsaved` when not saved) and the compare
/// target (its file name, empty for none). Nothing is kept unless ticked: rules match by name
/// and would act on the new file unseen. Nullopt when the user cancels the open.
std::optional<KeepChoice> askWhatToKeep(QWidget *parent, const QString &opening, int rules, bool unsaved,
                                        const QString &target);

} // namespace ckpt
