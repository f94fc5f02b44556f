#include "rule_editor.h"

#include "model/rules/rule_config.h"

#include <QComboBox>
#include <QFormLayout>
#include <QHBoxLayout>
#include <QJsonArray>
#include <QJsonDocument>
#include <QJsonObject>
#include <QLabel>
#include <QLineEdit>
#include <QPushButton>

namespace ckpt {
namespace {

const QStringList kActions{"freeze", "unfreeze", "drop", "rename", "group", "cast", "resize", "add",
                           "take", "stack", "concat", "unstack", "split", "transpose", "reshape", "lora", "merge",
                           "permute_heads", "unpermute_heads", "shift"};
/// Actions whose other fields are typed as JSON in the fields row, with an example each.
const std::pair<const char *, const char *> kFieldExamples[] = {
    {"resize", "{\"shape\": [1, 577, 768], \"method\": \"pos_embed\", \"prefix_tokens\": 1}"},
    {"add", "{\"name\": \"head.weight\", \"shape\": [10, 768], \"fill\": \"normal\"}"},
    {"take", "{\"from\": \"text\", \"prefix\": \"encoder.\", \"to\": \"text_encoder.\"}"},
    {"stack", "{\"to\": \"layers.\\\\2\", \"key\": \"\\\\1\", \"axis\": 0}"},
    {"concat", "{\"to\": \"\\\\1.qkv.weight\", \"key\": \"\\\\2\", \"order\": [\"q\", \"k\", \"v\"], \"axis\": 0}"},
    {"unstack", "{\"to\": \"layers.{i}.\\\\1\", \"axis\": 0}"},
    {"split", "{\"parts\": [{\"to\": \"\\\\1.q\", \"size\": 768}, {\"to\": \"\\\\1.k\"}, {\"to\": \"\\\\1.v\"}], \"axis\": 0}"},
    {"transpose", "{\"dims\": [1, 0]}"},
    {"reshape", "{\"shape\": [32, 2, 64, -1]}"},
    {"lora", "{\"from\": \"adapter\", \"scale\": 1.0}"},
    {"merge", "{\"method\": \"linear\", \"weights\": {\"self\": 0.5, \"ft\": 0.5}}"},
    {"permute_heads", "{\"heads\": \"llama.attention.head_count\"}"},
    {"unpermute_heads", "{\"heads\": \"llama.attention.head_count\"}"},
    {"shift", "{\"by\": -1}"},
};

const char *fieldExample(const QString &action)
{
    for (const auto &[name, example] : kFieldExamples)
        if (action == name) return example;
    return nullptr;
}
// Matchers with one text field; "json" takes any matcher (all/any/not, numel) as JSON.
const QStringList kKinds{"glob", "regex", "module", "name", "prefix", "suffix", "alias", "type", "ndim", "dtype", "shape", "json"};
const QStringList kDtypes{"bfloat16", "float16", "float32", "float64", "int8", "uint8", "int16", "int32", "int64", "bool"};

} // namespace

RuleEditor::RuleEditor(QWidget *parent)
    : QWidget(parent), m_action(new QComboBox(this)), m_matchKind(new QComboBox(this)),
      m_match(new QLineEdit(this)), m_renameMode(new QComboBox(this)), m_renameFrom(new QLineEdit(this)),
      m_to(new QLineEdit(this)), m_group(new QLineEdit(this)), m_options(new QLineEdit(this)),
      m_dtype(new QComboBox(this)), m_status(new QLabel(this)), m_apply(new QPushButton(tr("Apply"), this)),
      m_fields(new QLineEdit(this))
{
    setObjectName("ruleEditor");
    m_action->setObjectName("ruleAction");
    m_matchKind->setObjectName("ruleMatchKind");
    m_match->setObjectName("ruleMatch");
    m_renameFrom->setObjectName("ruleRenameFrom");
    m_to->setObjectName("ruleTo");
    m_group->setObjectName("ruleGroup");
    m_options->setObjectName("ruleOptions");
    m_dtype->setObjectName("ruleDtype");
    m_status->setObjectName("ruleStatus");
    m_apply->setObjectName("ruleApply");
    m_action->addItems(kActions);
    m_matchKind->addItems(kKinds);
    m_renameMode->addItems({tr("regex"), tr("prefix")});
    m_dtype->addItems(kDtypes);
    m_match->setPlaceholderText(tr("encoder.*  (empty: a rename applies to every name it matches)"));
    m_renameFrom->setPlaceholderText(tr("^module\\.(.*)$"));
    m_to->setPlaceholderText(tr("\\1"));
    m_options->setPlaceholderText(tr("{\"weight_decay\": 0.0}"));
    m_status->setWordWrap(true);

    auto row = [this](std::initializer_list<QWidget *> widgets) {
        auto *w = new QWidget(this);
        auto *l = new QHBoxLayout(w);
        l->setContentsMargins(0, 0, 0, 0);
        for (QWidget *x : widgets) l->addWidget(x, x == widgets.begin()[0] && widgets.size() > 1 ? 0 : 1);
        return w;
    };
    m_renameRow = row({m_renameMode, m_renameFrom, new QLabel(tr("to"), this), m_to});
    m_groupRow = row({new QLabel(tr("group"), this), m_group, new QLabel(tr("options"), this), m_options});
    m_castRow = row({new QLabel(tr("to dtype"), this), m_dtype});
    m_fields->setObjectName("ruleFields");
    m_fields->setPlaceholderText(tr("{\"shape\": [1, 577, 768], \"method\": \"pos_embed\", \"prefix_tokens\": 1}"));
    m_fieldsRow = row({new QLabel(tr("fields"), this), m_fields});
    auto *form = m_form = new QFormLayout(this);
    form->setContentsMargins(0, 0, 0, 0);
    form->addRow(tr("Action"), row({m_action, m_apply}));
    m_matchRow = row({m_matchKind, m_match});
    form->addRow(tr("Match"), m_matchRow);
    form->addRow(m_renameRow);
    form->addRow(m_groupRow);
    form->addRow(m_castRow);
    form->addRow(m_fieldsRow);
    form->addRow(m_status);

    for (QLineEdit *e : {m_match, m_renameFrom, m_to, m_group, m_options, m_fields}) {
        connect(e, &QLineEdit::textChanged, this, &RuleEditor::edited);
        connect(e, &QLineEdit::returnPressed, this, &RuleEditor::applied);
    }
    for (QComboBox *c : {m_action, m_matchKind, m_renameMode, m_dtype})
        connect(c, &QComboBox::currentIndexChanged, this, [this] {
            updateVisibility();
            Q_EMIT edited();
        });
    connect(m_apply, &QPushButton::clicked, this, &RuleEditor::applied);
    updateVisibility();
}

void RuleEditor::focusPattern()
{
    m_match->setFocus(Qt::ShortcutFocusReason);
    m_match->selectAll();
}

void RuleEditor::setApplyText(const QString &text) { m_apply->setText(text); }
void RuleEditor::setApplyEnabled(bool enabled) { m_apply->setEnabled(enabled); }

void RuleEditor::updateVisibility()
{
    const QString action = m_action->currentText();
    m_renameRow->setVisible(action == "rename");
    m_groupRow->setVisible(action == "group");
    m_castRow->setVisible(action == "cast");
    const char *example = fieldExample(action);
    m_fieldsRow->setVisible(example != nullptr);
    if (example) m_fields->setPlaceholderText(QString::fromUtf8(example));
    // An add names its tensor itself; a lora merges every tensor its adapter targets.
    if (m_form && m_matchRow) m_form->setRowVisible(m_matchRow, action != "add" && action != "lora");
}

QString RuleEditor::matcherJson(bool optional) const
{
    const QString kind = m_matchKind->currentText();
    const QString text = m_match->text().trimmed();
    if (text.isEmpty()) return optional ? QString() : QStringLiteral("null");
    if (kind == "json") return text;
    QJsonValue value = text;
    if (kind == "ndim") value = text.toLongLong();
    if (kind == "shape") {
        QJsonArray dims;
        for (QString d : text.mid(text.startsWith('[') ? 1 : 0).chopped(text.endsWith(']') ? 1 : 0).split(',', Qt::SkipEmptyParts)) {
            d = d.trimmed();
            if (d == "*") dims.append("*");
            else dims.append(d.toLongLong());
        }
        value = dims;
    }
    return QString::fromUtf8(QJsonDocument(QJsonObject{{kind, value}}).toJson(QJsonDocument::Compact));
}

Result<Rule> RuleEditor::rule() const
{
    const QString action = m_action->currentText();
    QString json = QStringLiteral("{\"action\": \"%1\"").arg(action);
    const QString match = action == "add" || action == "lora" ? QString() : matcherJson(action == "rename");
    if (!match.isEmpty()) json += ", \"match\": " + match;
    if (fieldExample(action)) { // the other fields as typed: {"shape": ...}
        const QString fields = m_fields->text().trimmed();
        if (fields.startsWith('{') && fields.endsWith('}') && fields.size() > 2) json += ", " + fields.mid(1).chopped(1);
        else if (!fields.isEmpty()) return Error{"fields: expected a JSON object"};
    }
    auto quoted = [](const QString &s) {
        return QString::fromUtf8(QJsonDocument(QJsonArray{s}).toJson(QJsonDocument::Compact)).mid(1).chopped(1);
    };
    if (action == "rename") {
        json += QStringLiteral(", \"%1\": %2, \"to\": %3")
                    .arg(m_renameMode->currentIndex() == 0 ? "regex" : "prefix", quoted(m_renameFrom->text()),
                         quoted(m_to->text()));
    } else if (action == "group") {
        json += QStringLiteral(", \"group\": %1").arg(quoted(m_group->text()));
        if (!m_options->text().trimmed().isEmpty()) json += ", \"options\": " + m_options->text();
    } else if (action == "cast") {
        json += QStringLiteral(", \"to\": \"%1\"").arg(m_dtype->currentText());
    }
    json += "}";
    return ruleFromJson(json.toStdString());
}

bool RuleEditor::isBlank() const
{
    const QString action = m_action->currentText();
    return m_match->text().trimmed().isEmpty() && (action != "rename" || m_renameFrom->text().isEmpty()) &&
           (!fieldExample(action) || m_fields->text().trimmed().isEmpty());
}

void RuleEditor::setRule(const Rule &r)
{
    const QJsonObject o = QJsonDocument::fromJson(QByteArray::fromStdString(ruleToJson(r))).object();
    const QSignalBlocker b1(m_action), b2(m_matchKind), b3(m_match), b4(m_renameMode), b5(m_renameFrom),
        b6(m_to), b7(m_group), b8(m_options), b9(m_dtype), b10(m_fields);
    m_action->setCurrentText(o["action"].toString());
    m_match->clear();
    if (o.contains("match")) {
        const QJsonObject m = o["match"].toObject();
        const QString kind = m.keys().value(0);
        if (kKinds.contains(kind) && kind != "shape" && !m[kind].isObject() && !m[kind].isArray()) {
            m_matchKind->setCurrentText(kind);
            m_match->setText(m[kind].isDouble() ? QString::number(m[kind].toInteger()) : m[kind].toString());
        } else {
            m_matchKind->setCurrentText("json");
            m_match->setText(QString::fromUtf8(QJsonDocument(m).toJson(QJsonDocument::Compact)));
        }
    }
    m_renameMode->setCurrentIndex(o.contains("prefix") ? 1 : 0);
    m_renameFrom->setText(o.contains("prefix") ? o["prefix"].toString() : o["regex"].toString());
    m_to->setText(r.action == Rule::Action::Rename ? o["to"].toString() : QString());
    m_group->setText(o["group"].toString());
    m_options->setText(o.contains("options") ? QString::fromUtf8(QJsonDocument(o["options"].toObject()).toJson(QJsonDocument::Compact)) : QString());
    if (r.action == Rule::Action::Cast) m_dtype->setCurrentText(o["to"].toString());
    QJsonObject fields = o;
    for (const char *key : {"action", "match", "enabled", "note"}) fields.remove(key);
    m_fields->setText(fieldExample(o["action"].toString()) ? QString::fromUtf8(QJsonDocument(fields).toJson(QJsonDocument::Compact))
                                                          : QString());
    updateVisibility();
    Q_EMIT edited();
}

void RuleEditor::clear()
{
    Rule r;
    r.match = Matcher{};
    setRule(r);
    m_match->clear();
}

void RuleEditor::setStatus(const QString &text, bool error)
{
    m_status->setText(text);
    m_status->setStyleSheet(error ? QStringLiteral("color:#c5221f") : QString());
    m_apply->setEnabled(!error);
}

} // namespace ckpt
