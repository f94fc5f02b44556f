#pragma once

#include "model/remote/http_client.h"
#include "model/remote/location.h"

#include <QDir>
#include <QFileInfo>
#include <QString>

namespace ckpt {

/// A path as the window keeps it: a local one made absolute, an address (https://, hf://,
/// s3://) as it is (QFileInfo would take it for a relative path).
inline QString absoluteLocation(const QString &path)
{
    if (isRemoteAddress(path.toStdString())) return path;
    return QFileInfo(path).absoluteFilePath();
}

/// The folder new files go to by default when they are made from `path`: its own folder, or
/// the home folder for an address.
inline QString localFolderFor(const QString &path)
{
    if (isRemoteAddress(path.toStdString())) return QDir::homePath();
    return QFileInfo(path).absolutePath();
}

/// "name  —  where": a recent file's menu entry. An address shows no credentials or query.
inline QString locationLabel(const QString &path)
{
    if (!isRemoteAddress(path.toStdString()))
        return QFileInfo(path).fileName() + QStringLiteral("  —  ") + QFileInfo(path).absolutePath();
    const QString shown = QString::fromStdString(displayAddress(path.toStdString()));
    return shown.section('/', -1) + QStringLiteral("  —  ") + shown;
}

} // namespace ckpt
